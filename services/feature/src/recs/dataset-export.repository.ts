// Reads for the dataset exports (schema feature), streamed: each export runs in one read-only
// REPEATABLE READ transaction (one consistent snapshot however long the download takes) through a
// server-side cursor fetched in pages, so memory stays bounded by one page whatever the table size.
// Stopping the iteration early (a client that disconnects) closes the cursor and frees the connection.
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';
import type { InteractionTypeName } from './interaction-records';

export const EXPORT_PAGE_ROWS = 2_000;

export interface InteractionExportRow {
  user_id: string;
  item_id: string;
  type: InteractionTypeName;
  value: number;
  occurred_at: Date;
  /** In the training split: occurred_at < split_at, or every row when there is no split. */
  train: boolean;
}

export interface SentimentFeedbackExportRow {
  text: string;
  label: string;
  article_id: string | null;
  submitted_by: string;
  submitted_at: Date;
  /** Corrections of the same text up to as_of, this latest one included. */
  corrections: number;
}

export interface ItemExportRow {
  item_id: string;
  title: string;
  description: string;
  categories: string[];
  price: number;
  available: boolean;
  updated_at: Date;
}

// Point in time: a row is in the dataset only if it had happened and had been received by as_of.
const INTERACTIONS = `
  SELECT user_id, item_id, type, value, occurred_at,
         ($3::timestamptz IS NULL OR occurred_at < $3::timestamptz) AS train
  FROM interaction_log
  WHERE tenant_id = $1 AND occurred_at <= $2::timestamptz AND received_at <= $2::timestamptz
  ORDER BY occurred_at, interaction_id`;

const ITEMS = `
  SELECT DISTINCT ON (item_id) item_id, title, description, categories, price, available, updated_at
  FROM catalog_item_versions
  WHERE tenant_id = $1 AND updated_at <= $2::timestamptz AND received_at <= $2::timestamptz
  ORDER BY item_id, updated_at DESC`;

// The latest label of each distinct text as of the point in time (dedupe by text_hash).
const SENTIMENT_FEEDBACK = `
  SELECT DISTINCT ON (text_hash) text, label, article_id, submitted_by, submitted_at,
         (count(*) OVER (PARTITION BY text_hash))::int AS corrections
  FROM sentiment_feedback
  WHERE tenant_id = $1 AND submitted_at <= $2::timestamptz
  ORDER BY text_hash, submitted_at DESC, feedback_id`;

@Injectable()
export class DatasetExportRepository {
  constructor(private readonly db: Database) {}

  interactions(
    tenantId: string,
    asOf: Date,
    splitAt: Date | undefined,
  ): AsyncGenerator<InteractionExportRow[]> {
    return this.pages<InteractionExportRow>(INTERACTIONS, [
      tenantId,
      asOf.toISOString(),
      splitAt?.toISOString() ?? null,
    ]);
  }

  items(tenantId: string, asOf: Date): AsyncGenerator<ItemExportRow[]> {
    return this.pages<ItemExportRow>(ITEMS, [tenantId, asOf.toISOString()]);
  }

  sentimentFeedback(tenantId: string, asOf: Date): AsyncGenerator<SentimentFeedbackExportRow[]> {
    return this.pages<SentimentFeedbackExportRow>(SENTIMENT_FEEDBACK, [tenantId, asOf.toISOString()]);
  }

  private async *pages<R>(sql: string, params: unknown[]): AsyncGenerator<R[]> {
    const client = await this.db.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`DECLARE dataset_export NO SCROLL CURSOR FOR ${sql}`, params);
      for (;;) {
        const { rows } = await client.query(`FETCH ${EXPORT_PAGE_ROWS} FROM dataset_export`);
        if (rows.length === 0) break;
        yield rows as R[];
        if (rows.length < EXPORT_PAGE_ROWS) break;
      }
    } catch (err) {
      broken = true;
      throw err;
    } finally {
      // Ending the transaction closes the cursor; a connection whose query failed mid-way is
      // discarded rather than handed back to the pool.
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      client.release(broken);
    }
  }
}
