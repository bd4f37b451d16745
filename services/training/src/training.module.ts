// The training service's providers and controllers; the interaction counter that drives the
// recommender retraining triggers is wired in only when a trigger is on, and the drift consumer only
// with RETRAIN_ON_DRIFT.
import { type DynamicModule, Module } from '@nestjs/common';
import { DriftRetrainRepository } from './drift-retrain.repository';
import { DriftRetrainService } from './drift-retrain.service';
import { InteractionCountHandler } from './interaction-count.handler';
import { ModelMonitoringHandler } from './model-monitoring.handler';
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
    // Drift and feedback retrains share the models.monitoring.v1 handler and its de-duplication.
    const drift = config.RETRAIN_ON_DRIFT || config.RETRAIN_AFTER_FEEDBACK > 0;
    return {
      module: TrainingModule,
      controllers: [
        TrainingRequestHandler,
        JobsController,
        RunsController,
        RunsPageController,
        OpenApiController,
        ...(retrain ? [InteractionCountHandler] : []),
        ...(drift ? [ModelMonitoringHandler] : []),
      ],
      providers: [
        TrainingService,
        TrainingJobRepository,
        RunRepository,
        RunsService,
        ...(retrain ? [RetrainService, RetrainRepository] : []),
        ...(drift ? [DriftRetrainService, DriftRetrainRepository] : []),
        ...(retrain || drift ? [TrainingRequestPublisher] : []),
      ],
    };
  }
}
