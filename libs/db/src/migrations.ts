// Schema migrations with node-pg-migrate: plain SQL files in each service's migrations/ folder,
// applied in the service's own schema under an advisory lock (safe with many replicas starting).
import { runner } from 'node-pg-migrate';
import type { Logger } from 'pino';

export interface MigrateOptions {
  url: string;
  schema: string;
  dir: string;
  logger: Logger;
  direction?: 'up' | 'down';
  count?: number;
}

export async function migrate(options: MigrateOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl: options.url,
    dir: options.dir,
    schema: options.schema,
    createSchema: true,
    migrationsSchema: options.schema,
    migrationsTable: 'pgmigrations',
    direction: options.direction ?? 'up',
    count: options.count,
    checkOrder: true,
    singleTransaction: true,
    log: (msg: string) => options.logger.debug({ schema: options.schema }, msg),
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) options.logger.info({ schema: options.schema, applied: names }, 'migrations applied');
  return names;
}
