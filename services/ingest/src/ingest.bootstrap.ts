// Wires mercato-ingest into the shared service runtime.
import { bootstrapService } from '@mercato/runtime';
import { IngestModule } from './ingest.module';

export async function startIngest(): Promise<void> {
  await bootstrapService({
    name: 'ingest',
    env: {},
    module: () => IngestModule,
  });
}
