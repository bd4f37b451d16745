// Wires mercato-ingest into the shared service runtime. It only produces (to the raw topics) and
// has no @OnTopic handler, so it joins no consumer group.
import { bootstrapService } from '@mercato/runtime';
import { join } from 'node:path';
import { ingestEnv, maxRequestBytesFromEnv, resolveIngestSettings } from './ingest.config';
import { IngestModule } from './ingest.module';

export async function startIngest(): Promise<void> {
  await bootstrapService({
    name: 'ingest',
    env: ingestEnv,
    migrationsDir: join(__dirname, '..', 'migrations'),
    bodyLimit: maxRequestBytesFromEnv(),
    module: (config, logger) => IngestModule.forRoot(resolveIngestSettings(config, logger)),
  });
}
