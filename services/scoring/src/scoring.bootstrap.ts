// Wires mercato-scoring into the shared service runtime. It consumes news.enriched.v1 (batched
// handlers) and has no tables of its own: what it writes goes to Kafka, keyed by derived event ids.
import { bootstrapService } from '@mercato/runtime';
import { scoringEnv } from './scoring.config';
import { ScoringModule } from './scoring.module';

export async function startScoring(): Promise<void> {
  await bootstrapService({
    name: 'scoring',
    env: scoringEnv,
    consumer: {},
    module: () => ScoringModule,
  });
}
