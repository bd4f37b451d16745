// The scoring service's gRPC surface (RecommendationService, SentimentService), beside its HTTP API.
import { Module } from '@nestjs/common';
import { RecommendationsModule } from '../recommendations/recommendations.module';
import { SentimentModule } from '../sentiment/sentiment.module';
import { GrpcServer } from './grpc-server';

@Module({
  imports: [RecommendationsModule, SentimentModule],
  providers: [GrpcServer],
})
export class GrpcModule {}
