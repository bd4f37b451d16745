// Analysts' sentiment label corrections in the feature store (schema feature, table
// sentiment_feedback): appended with who and when; the training export reads them through
// DatasetExportRepository.
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';

export interface SentimentFeedback {
  tenantId: string;
  feedbackId: string;
  articleId: string | null;
  text: string;
  textHash: string;
  label: string;
  /** What the model had said of the text, when the correction said so. */
  served: { label: string; model: string; version: number } | null;
  submittedBy: string;
  submittedAt: Date;
}

interface Row {
  tenant_id: string;
  feedback_id: string;
  article_id: string | null;
  text: string;
  text_hash: string;
  label: string;
  served_label: string | null;
  served_model: string | null;
  served_version: number | null;
  submitted_by: string;
  submitted_at: Date;
}

const fromRow = (r: Row): SentimentFeedback => ({
  tenantId: r.tenant_id,
  feedbackId: r.feedback_id,
  articleId: r.article_id,
  text: r.text,
  textHash: r.text_hash,
  label: r.label,
  served:
    r.served_label === null
      ? null
      : { label: r.served_label, model: r.served_model ?? '', version: r.served_version ?? 0 },
  submittedBy: r.submitted_by,
  submittedAt: r.submitted_at,
});

@Injectable()
export class SentimentFeedbackRepository {
  constructor(private readonly db: Database) {}

  async append(f: Omit<SentimentFeedback, 'submittedAt'>): Promise<SentimentFeedback> {
    const rows = await this.db.query<Row>(
      `INSERT INTO sentiment_feedback (tenant_id, feedback_id, article_id, text, text_hash, label,
         served_label, served_model, served_version, submitted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        f.tenantId,
        f.feedbackId,
        f.articleId,
        f.text,
        f.textHash,
        f.label,
        f.served?.label ?? null,
        f.served?.model ?? null,
        f.served?.version ?? null,
        f.submittedBy,
      ],
    );
    return fromRow(rows[0] as Row);
  }

  /**
   * Of the tenant's latest `window` corrections that say what the model had said, how many there
   * are and how many gave another label; and how many distinct texts the tenant has corrected (the
   * examples its next fine-tune joins).
   */
  async disagreement(
    tenantId: string,
    window: number,
  ): Promise<{ sample: number; disagreed: number; since: Date | null; texts: number }> {
    const rows = await this.db.query<{
      sample: number;
      disagreed: number;
      since: Date | null;
      texts: number;
    }>(
      `SELECT count(*)::int AS sample, count(*) FILTER (WHERE label <> served_label)::int AS disagreed,
              min(submitted_at) AS since,
              (SELECT count(DISTINCT text_hash)::int FROM sentiment_feedback WHERE tenant_id = $1) AS texts
         FROM (SELECT label, served_label, submitted_at FROM sentiment_feedback
                WHERE tenant_id = $1 AND served_label IS NOT NULL
                ORDER BY submitted_at DESC LIMIT $2) latest`,
      [tenantId, window],
    );
    return rows[0] ?? { sample: 0, disagreed: 0, since: null, texts: 0 };
  }

  /** The tenant's corrections of one article, newest first. */
  async forArticle(tenantId: string, articleId: string): Promise<SentimentFeedback[]> {
    const rows = await this.db.query<Row>(
      `SELECT * FROM sentiment_feedback WHERE tenant_id = $1 AND article_id = $2 ORDER BY submitted_at DESC`,
      [tenantId, articleId],
    );
    return rows.map(fromRow);
  }
}
