// Wires mercato-training into the shared service runtime.
import { bootstrapService } from '@mercato/runtime';
import { join } from 'node:path';
import { trainingEnv } from './training.config';
import { TrainingModule } from './training.module';

export async function startTraining(): Promise<void> {
  await bootstrapService({
    name: 'training',
    env: trainingEnv,
    // One job at a time per replica; long jobs keep the group membership alive with heartbeats.
    // Interaction counting (retraining triggers) shares the consumer, so it waits while a job runs
    // and catches up afterwards: counts are exact either way, only the trigger fires later.
    consumer: {
      partitionsConsumedConcurrently: 1,
      retry: { maxAttempts: 3, initialBackoffMs: 2_000, maxBackoffMs: 30_000 },
    },
    migrationsDir: join(__dirname, '..', 'migrations'),
    module: (config) => TrainingModule.forConfig(config),
  });
}
