// The transactional outbox, relayed: what a service commits in the transaction of a change (an
// outbox table, or rows of its own table that record whether they were published) is published to
// Kafka in commit order by one relay at a time across replicas (a transaction-scoped advisory lock),
// and marked published in the same transaction once the broker acknowledged it. A failure leaves
// the unpublished rows first in line, so nothing is published out of order. A batch that finds rows
// is one unit of background work (a trace of its own, linked to the rows' creation contexts); a
// poll that finds none records nothing.
import { traceWork } from '@mercato/telemetry';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { PoolClient } from 'pg';
import type { Database } from './database';

export interface Outbox<R> {
  /** Names the advisory lock (one relay per name holds it at a time) and the relay's spans. */
  lock: string;
  /** The oldest unpublished rows, at most `limit`, in publication order. */
  pending(tx: PoolClient, limit: number): Promise<R[]>;
  markPublished(tx: PoolClient, rows: R[]): Promise<void>;
  /** Records the failure on the rows that were not published, the failed one first. */
  markFailed(tx: PoolClient, unpublished: R[], error: string): Promise<void>;
  /** The W3C traceparent of the row's creation (the trace it was written in), when kept. */
  traceparentOf?(row: R): string | null;
}

/** What a publish achieved: the first `published` rows went out; `error` says why the rest did not. */
export interface PublishOutcome {
  published: number;
  error?: string;
}

export interface RelayOutcome {
  published: number;
  /** Rows of this batch left unpublished (after a failure). */
  unpublished: number;
  error?: string;
}

/**
 * One batch: publishes the oldest pending rows with `publish` while holding the outbox's lock, and
 * marks the outcome, all in one transaction. Undefined when another relay holds the lock.
 */
export async function relayOutbox<R>(
  db: Database,
  outbox: Outbox<R>,
  limit: number,
  publish: (rows: R[]) => Promise<PublishOutcome>,
): Promise<RelayOutcome | undefined> {
  return db.transaction(async (tx) => {
    const { rows: lock } = await tx.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked',
      [outbox.lock],
    );
    if (!lock[0]?.locked) return undefined;
    const rows = await outbox.pending(tx, limit);
    if (rows.length === 0) return { published: 0, unpublished: 0 };
    return traceWork(
      `${outbox.lock} relay`,
      async () => {
        const { published, error } = await publish(rows);
        if (published > 0) await outbox.markPublished(tx, rows.slice(0, published));
        if (error !== undefined && published < rows.length) {
          trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: error });
          await outbox.markFailed(tx, rows.slice(published), error.slice(0, 2_000));
        }
        return { published, unpublished: rows.length - published, error };
      },
      {
        attributes: { 'mercato.outbox.rows': rows.length },
        links: outbox.traceparentOf ? rows.map((r) => outbox.traceparentOf?.(r)) : [],
      },
    );
  });
}
