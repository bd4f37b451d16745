// Wires mercato-ingest into the shared service runtime. It only produces (to the raw topics) and
// has no @OnTopic handler, so it joins no consumer group.
import { bootstrapService } from '@mercato/runtime';
import { join } from 'node:path';
import { ingestEnv, maxRequestBytesFromEnv, resolveIngestSettings } from './ingest.config';
import { countRefusedRequest } from './ingest-metrics';
import { IngestModule } from './ingest.module';

export async function startIngest(): Promise<void> {
  await bootstrapService({
    name: 'ingest',
    env: ingestEnv,
    migrationsDir: join(__dirname, '..', 'migrations'),
    bodyLimit: maxRequestBytesFromEnv(),
    bodyLimitVariable: 'INGEST_MAX_REQUEST_BYTES',
    onHttpError: countRefusedRequest,
    module: (config, logger) => IngestModule.forRoot(resolveIngestSettings(config, logger)),
  });
}
