// API keys for specs that run services with AUTH_MODE=required: created straight in the auth schema
// of the spec's database (migrated first), the way `mercato keys create` does.
import { ApiKeyStore, SCOPES, migrateAuthSchema, type ApiKeyRecord, type NewApiKey } from '@mercato/auth';
import pg from 'pg';
import { testLogger } from './fixtures';

export interface TestKeys {
  store: ApiKeyStore;
  /** A key with every scope unless `scopes` says otherwise; returns the bearer token and the record. */
  create(key: Partial<NewApiKey> & { tenantId: string }): Promise<{ token: string; record: ApiKeyRecord }>;
  close(): Promise<void>;
}

export async function testKeys(databaseUrl: string): Promise<TestKeys> {
  await migrateAuthSchema(databaseUrl, testLogger());
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // Dropping the spec's database ends idle connections: not an error of the spec.
  pool.on('error', () => undefined);
  const store = new ApiKeyStore({
    query: async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      (await pool.query<R>(text, values)).rows,
  });
  return {
    store,
    create: (key) => store.create({ name: 'test', scopes: [...SCOPES], ...key }),
    close: () => pool.end(),
  };
}

/** `{ authorization: 'Bearer <token>' }` plus any other headers. */
export const bearer = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  ...extra,
});
