// Where the API key table lives: its own schema in the platform database, migrated by every service
// at start-up (when auth is on), by `mercato migrate` and by the `keys` commands, from the SQL files
// of this library.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { runner } from 'node-pg-migrate';

export const AUTH_SCHEMA = 'auth';
export const AUTH_MIGRATIONS_DIR = join(__dirname, '..', 'migrations');

/**
 * Applies the auth schema's migrations under the same per-schema advisory lock as libs/db's migrate
 * (the formula is repeated: libs/db depends on libs/telemetry, which depends on this library). Every
 * service may race to it at start-up; the lock makes them queue, a retry covers schema creation.
 */
export async function migrateAuthSchema(url: string, logger: { debug(msg: string): void }): Promise<void> {
  const lockValue = createHash('sha256').update(`mercato-migrations:${AUTH_SCHEMA}`).digest().readInt32BE(0);
  for (let attempt = 1; ; attempt++) {
    try {
      await runner({
        databaseUrl: url,
        dir: AUTH_MIGRATIONS_DIR,
        schema: AUTH_SCHEMA,
        createSchema: true,
        migrationsSchema: AUTH_SCHEMA,
        migrationsTable: 'pgmigrations',
        direction: 'up',
        checkOrder: true,
        singleTransaction: true,
        lockValue,
        advisoryLockMode: 'wait',
        log: (msg: string) => logger.debug(msg),
      });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}
