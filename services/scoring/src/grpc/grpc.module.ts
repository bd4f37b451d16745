// The scoring service's gRPC surface (RecommendationService), beside its HTTP API.
import { Module } from '@nestjs/common';
import { RecommendationsModule } from '../recommendations/recommendations.module';
import { GrpcServer } from './grpc-server';

@Module({
  imports: [RecommendationsModule],
  providers: [GrpcServer],
})
export class GrpcModule {}
