// The training service's job log in Postgres (schema `training`): claims, progress and outcomes.
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';

export interface JobRow {
  request_id: string;
  tenant_id: string;
  model_name: string;
  kind: string;
  dataset_ref: string;
  hyperparameters: Record<string, string>;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  architecture: string | null;
  /** The experiment run of the current attempt. */
  run_id: string | null;
  cancel_requested_at: Date | null;
  cancel_requested_by: string | null;
  attempts: number;
  progress: unknown[];
  metrics: Record<string, number> | null;
  champion_metrics: Record<string, number> | null;
  version: number | null;
  promotion: unknown;
  error: string | null;
  requested_by: string;
  started_at: Date;
  finished_at: Date | null;
}

@Injectable()
export class TrainingJobRepository {
  constructor(private readonly db: Database) {}

  /**
   * Claims a request: a new one is inserted as running; a redelivered one that already finished is
   * returned as it is (the caller skips it); one left running by a crash is taken again.
   */
  async claim(
    job: Pick<
      JobRow,
      | 'request_id'
      | 'tenant_id'
      | 'model_name'
      | 'kind'
      | 'dataset_ref'
      | 'hyperparameters'
      | 'requested_by'
      | 'architecture'
    >,
  ): Promise<{ row: JobRow; fresh: boolean }> {
    const rows = await this.db.query<JobRow & { inserted: boolean }>(
      `INSERT INTO jobs (request_id, tenant_id, model_name, kind, dataset_ref, hyperparameters, requested_by, architecture, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running')
       ON CONFLICT (request_id) DO UPDATE
         SET attempts = jobs.attempts + CASE WHEN jobs.status = 'running' THEN 1 ELSE 0 END,
             started_at = CASE WHEN jobs.status = 'running' THEN now() ELSE jobs.started_at END,
             progress = CASE WHEN jobs.status = 'running' THEN '[]'::jsonb ELSE jobs.progress END
       RETURNING *, (xmax = 0) AS inserted`,
      [
        job.request_id,
        job.tenant_id,
        job.model_name,
        job.kind,
        job.dataset_ref,
        JSON.stringify(job.hyperparameters),
        job.requested_by,
        job.architecture,
      ],
    );
    const row = rows[0] as JobRow & { inserted: boolean };
    return { row, fresh: row.status === 'running' };
  }

  async attachRun(requestId: string, runId: string): Promise<void> {
    await this.db.query('UPDATE jobs SET run_id = $2 WHERE request_id = $1', [requestId, runId]);
  }

  async appendProgress(requestId: string, entry: unknown): Promise<void> {
    await this.db.query(`UPDATE jobs SET progress = progress || $2::jsonb WHERE request_id = $1`, [
      requestId,
      JSON.stringify([entry]),
    ]);
  }

  async succeed(
    requestId: string,
    outcome: {
      metrics: Record<string, number>;
      championMetrics?: Record<string, number>;
      version: number;
      promotion?: unknown;
    },
  ): Promise<void> {
    await this.db.query(
      `UPDATE jobs SET status = 'succeeded', metrics = $2, champion_metrics = $3, version = $4, promotion = $5, finished_at = now(), error = NULL
       WHERE request_id = $1`,
      [
        requestId,
        JSON.stringify(outcome.metrics),
        outcome.championMetrics ? JSON.stringify(outcome.championMetrics) : null,
        outcome.version,
        outcome.promotion ? JSON.stringify(outcome.promotion) : null,
      ],
    );
  }

  async fail(requestId: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE jobs SET status = 'failed', error = $2, finished_at = now() WHERE request_id = $1`,
      [requestId, error.slice(0, 4000)],
    );
  }

  async cancelled(requestId: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE jobs SET status = 'cancelled', error = $2, finished_at = now() WHERE request_id = $1`,
      [requestId, error.slice(0, 4000)],
    );
  }

  /**
   * Records a cancellation request on a running job of the tenant; the replica running it stops it.
   * Returns the row, or undefined when the tenant has no such job.
   */
  async requestCancel(tenantId: string, requestId: string, by: string): Promise<JobRow | undefined> {
    return (
      await this.db.query<JobRow>(
        `UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, now()),
                         cancel_requested_by = COALESCE(cancel_requested_by, $3)
         WHERE tenant_id = $1 AND request_id = $2 RETURNING *`,
        [tenantId, requestId, by],
      )
    )[0];
  }

  async cancelRequested(requestId: string): Promise<boolean> {
    const rows = await this.db.query<{ cancel_requested_at: Date | null }>(
      'SELECT cancel_requested_at FROM jobs WHERE request_id = $1',
      [requestId],
    );
    return Boolean(rows[0]?.cancel_requested_at);
  }

  /** The tenant's job (another tenant's is not found, so its existence does not leak). */
  async get(tenantId: string, requestId: string): Promise<JobRow | undefined> {
    return (
      await this.db.query<JobRow>('SELECT * FROM jobs WHERE tenant_id = $1 AND request_id = $2', [
        tenantId,
        requestId,
      ])
    )[0];
  }

  async list(tenantId: string, limit: number): Promise<JobRow[]> {
    return this.db.query<JobRow>(
      'SELECT * FROM jobs WHERE tenant_id = $1 ORDER BY started_at DESC LIMIT $2',
      [tenantId, limit],
    );
  }
}
