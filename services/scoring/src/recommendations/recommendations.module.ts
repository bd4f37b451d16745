// The recommendation part of scoring: in-memory state fed from Kafka, the tenants' recommender
// versions with hot swap, traffic split and rollback, and the HTTP API (gRPC lives in ../grpc); the
// recommendations route itself is served straight from Fastify (RecommendationsController.recommend).
import { Module } from '@nestjs/common';
import { PopularItemsPoller } from './popular-items.poller';
import { RecommenderAliasPoller } from './recommender-alias.poller';
import { RecommendationsController } from './recommendations.controller';
import { RecommendationsService } from './recommendations.service';
import { RecommenderModelsService } from './recommender-models.service';
import { RecommenderLoader } from './recommender.loader';
import { RecsState } from './recs-state';
import { RecsStreamListener } from './recs-stream.listener';

@Module({
  controllers: [RecommendationsController],
  providers: [
    { provide: RecsState, useValue: new RecsState() },
    RecommenderLoader,
    RecommenderModelsService,
    RecsStreamListener,
    PopularItemsPoller,
    RecommenderAliasPoller,
    RecommendationsService,
  ],
  exports: [RecommendationsService],
})
export class RecommendationsModule {}
