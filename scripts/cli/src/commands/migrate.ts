// `mercato migrate`: applies a service's SQL migrations and its audit log's to its own schema (the
// Helm hook Job runs it), and the auth schema's (API keys and their audit log).
import { migrate, migrateAuditLog } from '@mercato/db';
import { AUTH_SCHEMA, migrateAuthSchema } from '@mercato/auth';
import { SERVICE_NAMES, type ServiceName } from '@mercato/config';
import { schemaFor } from '@mercato/runtime';
import { createLogger } from '@mercato/telemetry';
import { REPO_ROOT } from '@mercato/dev-stack';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function migrationsDir(service: ServiceName): string {
  return join(REPO_ROOT, 'dist/services', service, 'migrations');
}

export async function migrateServices(url: string, services: string[]): Promise<void> {
  const logger = createLogger('cli', 'info', 'stderr');
  for (const name of services) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name))
      throw new Error(`unknown service "${name}" (one of ${SERVICE_NAMES.join(', ')})`);
    const dir = migrationsDir(name as ServiceName);
    const schema = schemaFor(name as ServiceName);
    const applied = existsSync(dir) ? await migrate({ url, schema, dir, logger }) : [];
    const audit = await migrateAuditLog(url, schema, logger);
    process.stdout.write(`${name}: ${applied.length + audit.length} migration(s) applied\n`);
  }
  // The API keys every service reads live in their own schema, migrated with any service.
  await migrateAuthSchema(url, logger);
  await migrateAuditLog(url, AUTH_SCHEMA, logger);
  process.stdout.write('auth: migrations applied\n');
}
