// The scoring service's own modules and controllers. The sentiment part lives in sentiment/; the
// recommendation part will sit beside it.
import { Module } from '@nestjs/common';
import { ModelsController } from './models.controller';
import { OpenApiController } from './openapi.controller';
import { SentimentModule } from './sentiment/sentiment.module';

@Module({
  imports: [SentimentModule],
  controllers: [ModelsController, OpenApiController],
})
export class ScoringModule {}
