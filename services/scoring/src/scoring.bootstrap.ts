// Wires mercato-scoring into the shared service runtime.
import { bootstrapService } from '@mercato/runtime';
import { ScoringModule } from './scoring.module';

export async function startScoring(): Promise<void> {
  await bootstrapService({
    name: 'scoring',
    env: {},
    consumer: {},
    module: () => ScoringModule,
  });
}
