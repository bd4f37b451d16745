// The last retrain decided for each production version on drift or feedback (schema training, table
// drift_retrains), and whether a model has a job running.
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';

@Injectable()
export class DriftRetrainRepository {
  constructor(private readonly db: Database) {}

  /** The figures of the event that last retrained this version (absent: it never was). */
  async previous(
    tenantId: string,
    model: string,
    version: number,
  ): Promise<Record<string, number> | undefined> {
    const rows = await this.db.query<{ figures: Record<string, number> }>(
      'SELECT figures FROM drift_retrains WHERE tenant_id = $1 AND model_name = $2 AND version = $3',
      [tenantId, model, version],
    );
    return rows[0]?.figures;
  }

  async record(
    tenantId: string,
    model: string,
    version: number,
    requestId: string,
    figures: Record<string, number>,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO drift_retrains (tenant_id, model_name, version, request_id, figures)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, model_name, version)
       DO UPDATE SET request_id = EXCLUDED.request_id, figures = EXCLUDED.figures, decided_at = now()`,
      [tenantId, model, version, requestId, JSON.stringify(figures)],
    );
  }

  /** A job of the model is running (a retrain, or one an operator submitted). */
  async running(tenantId: string, model: string): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM jobs WHERE tenant_id = $1 AND model_name = $2 AND status = 'running' LIMIT 1`,
      [tenantId, model],
    );
    return rows.length > 0;
  }
}
