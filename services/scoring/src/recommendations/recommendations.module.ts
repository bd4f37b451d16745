// The recommendation part of scoring: in-memory state fed from Kafka, the tenants' recommender
// versions with hot swap, traffic split and rollback, and the HTTP API (gRPC lives in ../grpc); the
// recommendations route itself is served straight from Fastify (RecommendationsController.recommend).
// With RECS_SHARDS > 1 a replica holds only its shard's tenants and forwards the others' requests
// (TenantShards). Served answers are followed to their outcomes (OutcomeTracker, fed by the
// interactions stream), published on models.monitoring.v1 and judged (RecsMonitoringPoller).
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Module } from '@nestjs/common';
import type { ScoringConfig } from '../scoring.config';
import { PopularItemsPoller } from './popular-items.poller';
import { RecommenderAliasPoller } from './recommender-alias.poller';
import { RecommendationsController } from './recommendations.controller';
import { RecommendationsService } from './recommendations.service';
import { RecommenderModelsService } from './recommender-models.service';
import { RecommenderLoader } from './recommender.loader';
import { OutcomeTracker } from './outcomes';
import { RecsMonitoringPoller } from './recs-monitoring.poller';
import { RecsState } from './recs-state';
import { RecsStreamListener } from './recs-stream.listener';
import { TenantShards } from './tenant-shards';

@Module({
  controllers: [RecommendationsController],
  providers: [
    { provide: RecsState, useValue: new RecsState() },
    {
      provide: TenantShards,
      useFactory: (config: ScoringConfig) => new TenantShards(config),
      inject: [SERVICE_CONFIG],
    },
    {
      provide: OutcomeTracker,
      useFactory: (config: ScoringConfig) =>
        new OutcomeTracker({
          windowMs: config.RECS_OUTCOME_WINDOW_MS,
          maxPending: config.RECS_OUTCOME_MAX_PENDING,
        }),
      inject: [SERVICE_CONFIG],
    },
    RecommenderLoader,
    RecommenderModelsService,
    RecsMonitoringPoller,
    RecsStreamListener,
    PopularItemsPoller,
    RecommenderAliasPoller,
    RecommendationsService,
  ],
  exports: [RecommendationsService, TenantShards],
})
export class RecommendationsModule {}
