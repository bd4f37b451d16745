// The training service's providers and controllers.
import { Module } from '@nestjs/common';
import { JobsController } from './jobs.controller';
import { TrainingJobRepository } from './training-job.repository';
import { TrainingRequestHandler } from './training-request.handler';
import { TrainingService } from './training.service';

@Module({
  controllers: [TrainingRequestHandler, JobsController],
  providers: [TrainingService, TrainingJobRepository],
})
export class TrainingModule {}
