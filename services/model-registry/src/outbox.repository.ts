// Postgres access for the transactional outbox: events are enqueued in the transaction of the change
// they describe, claimed by one relay at a time (an advisory lock keeps per-model order across
// replicas), and marked sent once the broker has acknowledged them.
import { Injectable } from '@nestjs/common';
import type { JsonValue } from '@bufbuild/protobuf';
import { Database, type Outbox, type Queryable } from '@mercato/db';

export interface OutboxRow {
  id: string;
  eventId: string;
  key: string;
  payload: JsonValue;
  tenantId: string;
  traceparent: string | null;
  attempts: number;
}

@Injectable()
export class OutboxRepository {
  constructor(private readonly db: Database) {}

  async enqueue(
    tx: Queryable,
    event: { eventId: string; key: string; payload: JsonValue; tenantId: string; traceparent?: string },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO outbox (event_id, message_key, payload, tenant_id, traceparent) VALUES ($1, $2, $3, $4, $5)`,
      [event.eventId, event.key, JSON.stringify(event.payload), event.tenantId, event.traceparent ?? null],
    );
  }

  /** The outbox as the relay of @mercato/db sees it: per-model order, one relay at a time. */
  readonly outbox: Outbox<OutboxRow> = {
    lock: 'model_registry.outbox',
    pending: async (tx, limit) =>
      (
        await tx.query<OutboxRow>(
          `SELECT id::text AS id, event_id::text AS "eventId", message_key AS key, payload, tenant_id AS "tenantId",
             traceparent, attempts
           FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1`,
          [limit],
        )
      ).rows,
    markPublished: async (tx, rows) => {
      await tx.query(
        'UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])',
        [rows.map((r) => r.id)],
      );
    },
    // The trace of the request that made the change: the relay links to it, consumers continue it.
    traceparentOf: (row) => row.traceparent,
    // Only the event that failed was attempted: the ones behind it wait for it.
    markFailed: async (tx, [failed], error) => {
      if (failed)
        await tx.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [
          failed.id,
          error,
        ]);
    },
  };

  async pendingCount(): Promise<number> {
    const { rows } = await this.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL',
    );
    return rows[0].n;
  }

  /** Sent events are kept a while for audit and replay, then deleted. */
  async purgeSent(olderThanDays: number): Promise<number> {
    const { rowCount } = await this.db.pool.query(
      `DELETE FROM outbox WHERE sent_at < now() - make_interval(days => $1)`,
      [olderThanDays],
    );
    return rowCount ?? 0;
  }
}
