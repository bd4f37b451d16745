// The training service's providers and controllers; the interaction counter that drives the
// recommender retraining triggers is wired in only when a trigger is on.
import { type DynamicModule, Module } from '@nestjs/common';
import { InteractionCountHandler } from './interaction-count.handler';
import { JobsController } from './jobs.controller';
import { OpenApiController } from './openapi.controller';
import { RetrainRepository } from './retrain.repository';
import { RetrainService } from './retrain.service';
import { RunRepository } from './run.repository';
import { RunsPageController } from './runs-page.controller';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';
import { retrainEnabled, type TrainingConfig } from './training.config';
import { TrainingJobRepository } from './training-job.repository';
import { TrainingRequestHandler } from './training-request.handler';
import { TrainingRequestPublisher } from './training-request.publisher';
import { TrainingService } from './training.service';

@Module({})
export class TrainingModule {
  static forConfig(config: TrainingConfig): DynamicModule {
    const retrain = retrainEnabled(config);
    return {
      module: TrainingModule,
      controllers: [
        TrainingRequestHandler,
        JobsController,
        RunsController,
        RunsPageController,
        OpenApiController,
        ...(retrain ? [InteractionCountHandler] : []),
      ],
      providers: [
        TrainingService,
        TrainingJobRepository,
        RunRepository,
        RunsService,
        ...(retrain ? [RetrainService, RetrainRepository, TrainingRequestPublisher] : []),
      ],
    };
  }
}
