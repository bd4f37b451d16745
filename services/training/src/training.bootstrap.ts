// Wires mercato-training into the shared service runtime.
import { bootstrapService } from '@mercato/runtime';
import { TrainingModule } from './training.module';

export async function startTraining(): Promise<void> {
  await bootstrapService({
    name: 'training',
    env: {},
    consumer: { partitionsConsumedConcurrently: 1 },
    module: () => TrainingModule,
  });
}
