// Wires mercato-feature into the shared service runtime.
import { bootstrapService } from '@mercato/runtime';
import { FeatureModule } from './feature.module';

export async function startFeature(): Promise<void> {
  await bootstrapService({
    name: 'feature',
    env: {},
    consumer: {},
    module: () => FeatureModule,
  });
}
