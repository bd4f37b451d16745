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
  submittedBy: r.submitted_by,
  submittedAt: r.submitted_at,
});

@Injectable()
export class SentimentFeedbackRepository {
  constructor(private readonly db: Database) {}

  async append(f: Omit<SentimentFeedback, 'submittedAt'>): Promise<SentimentFeedback> {
    const rows = await this.db.query<Row>(
      `INSERT INTO sentiment_feedback (tenant_id, feedback_id, article_id, text, text_hash, label, submitted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [f.tenantId, f.feedbackId, f.articleId, f.text, f.textHash, f.label, f.submittedBy],
    );
    return fromRow(rows[0] as Row);
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
