// Wires mercato-feature into the shared service runtime.
import { bootstrapService } from '@mercato/runtime';
import { join } from 'node:path';
import { featureEnv } from './feature.config';
import { FeatureModule } from './feature.module';

export async function startFeature(): Promise<void> {
  await bootstrapService({
    name: 'feature',
    env: featureEnv,
    consumer: {},
    migrationsDir: join(__dirname, '..', 'migrations'),
    module: () => FeatureModule,
  });
}
