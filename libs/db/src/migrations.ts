// Schema migrations with node-pg-migrate: plain SQL files in each service's migrations/ folder,
// applied in the service's own schema under a per-schema advisory lock that replicas wait on.
import { createHash } from 'node:crypto';
import { runner } from 'node-pg-migrate';
import type { Logger } from 'pino';

export interface MigrateOptions {
  url: string;
  schema: string;
  dir: string;
  logger: Logger;
  direction?: 'up' | 'down';
  count?: number;
  /** Where applied migrations are recorded (another table lets a second set share the schema). */
  migrationsTable?: string;
}

/** One advisory lock per schema: services migrating their own schemas never block each other. */
export function lockValueFor(schema: string): number {
  return createHash('sha256').update(`mercato-migrations:${schema}`).digest().readInt32BE(0);
}

export async function migrate(options: MigrateOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl: options.url,
    dir: options.dir,
    schema: options.schema,
    createSchema: true,
    migrationsSchema: options.schema,
    migrationsTable: options.migrationsTable ?? 'pgmigrations',
    direction: options.direction ?? 'up',
    count: options.count,
    checkOrder: true,
    singleTransaction: true,
    // Replicas of one service starting together queue on the lock instead of failing.
    lockValue: lockValueFor(options.schema),
    advisoryLockMode: 'wait',
    log: (msg: string) => options.logger.debug({ schema: options.schema }, msg),
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) options.logger.info({ schema: options.schema, applied: names }, 'migrations applied');
  return names;
}
