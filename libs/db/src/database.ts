// One pg pool per service, pinned to the service's own schema. Pool errors (a Postgres restart, a
// dropped idle connection) are logged, never thrown: the pool reconnects on the next query.
import { Pool, type PoolClient, type PoolConfig, type QueryResult, type QueryResultRow } from 'pg';
import type { Logger } from 'pino';

export interface DatabaseOptions {
  url: string;
  /** The schema this service owns; every connection's search_path starts with it. */
  schema: string;
  ssl?: boolean;
  poolMax?: number;
  applicationName?: string;
  logger: Logger;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

export class Database {
  readonly pool: Pool;
  readonly schema: string;
  private closed = false;

  constructor(options: DatabaseOptions) {
    if (!SCHEMA_NAME.test(options.schema)) throw new Error(`invalid schema name "${options.schema}"`);
    this.schema = options.schema;
    const config: PoolConfig = {
      connectionString: options.url,
      max: options.poolMax ?? 10,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
      application_name: options.applicationName ?? `mercato-${options.schema}`,
      options: `-c search_path=${options.schema},public`,
      ssl: options.ssl ? { rejectUnauthorized: true } : undefined,
    };
    this.pool = new Pool(config);
    this.pool.on('error', (err) => {
      // The SQLSTATE tells a server shutdown (57P01, e.g. Ctrl-C of `npm start`: docs/runbook.md)
      // from a dropped network connection (no code).
      const { code } = err as { code?: string };
      options.logger.warn({ err: err.message, code }, 'postgres connection lost; the pool will reconnect');
    });
  }

  async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
    const result = await this.pool.query<R>(text, values);
    return result.rows;
  }

  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * What repositories run SQL on: the pool for single statements, or the client of a transaction the
 * service opened (so several repositories can write in one transaction).
 */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}
