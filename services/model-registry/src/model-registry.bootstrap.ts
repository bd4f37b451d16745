// Wires mercato-model-registry into the shared service runtime.
import { bootstrapService } from '@mercato/runtime';
import { ModelRegistryModule } from './model-registry.module';

export async function startModelRegistry(): Promise<void> {
  await bootstrapService({
    name: 'model-registry',
    env: {},
    consumer: {},
    module: () => ModelRegistryModule,
  });
}
