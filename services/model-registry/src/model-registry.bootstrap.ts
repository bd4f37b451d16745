// Wires mercato-model-registry into the shared service runtime. It only produces (to
// models.lifecycle.v1, through its outbox) and has no @OnTopic handler, so it joins no consumer group.
import { join } from 'node:path';
import { bootstrapService } from '@mercato/runtime';
import { ModelRegistryModule } from './model-registry.module';
import { REGISTRATION_BODY_LIMIT, registryEnv } from './registry-config';

export async function startModelRegistry(): Promise<void> {
  await bootstrapService({
    name: 'model-registry',
    env: registryEnv,
    migrationsDir: join(__dirname, '..', 'migrations'),
    bodyLimit: REGISTRATION_BODY_LIMIT,
    module: () => ModelRegistryModule,
  });
}
