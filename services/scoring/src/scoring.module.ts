// The scoring service's own modules and controllers. The sentiment part lives in sentiment/, the
// recommendation part in recommendations/ (HTTP) and grpc/ (RecommendationService).
import { Module } from '@nestjs/common';
import { GrpcModule } from './grpc/grpc.module';
import { ModelsController } from './models.controller';
import { OpenApiController } from './openapi.controller';
import { RecommendationsModule } from './recommendations/recommendations.module';
import { SentimentModule } from './sentiment/sentiment.module';

@Module({
  imports: [SentimentModule, RecommendationsModule, GrpcModule],
  controllers: [ModelsController, OpenApiController],
})
export class ScoringModule {}
