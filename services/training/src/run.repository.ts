// Experiment runs in Postgres (schema `training`): runs, their metric series and final evaluation,
// always read and written for one tenant (another tenant's run is not found). Metric values are
// float8: NaN and ±Infinity go in and come out as they are.
import { Database, type Queryable } from '@mercato/db';
import type { MetricPoint, RunSource, RunStatus } from '@mercato/ml';
import { Injectable } from '@nestjs/common';

export interface RunRow {
  tenant_id: string;
  run_id: string;
  model_name: string;
  kind: 'sentiment' | 'recommender';
  architecture: string | null;
  source: RunSource;
  status: RunStatus;
  request_id: string | null;
  requested_by: string;
  params: Record<string, unknown>;
  tags: string[];
  registered_version: number | null;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
  /** The final evaluation, as parallel arrays (a JSON object could not hold NaN). */
  result_names: string[];
  result_values: number[];
}

export interface NewRun {
  tenantId: string;
  runId: string;
  model: string;
  kind: 'sentiment' | 'recommender';
  architecture: string | null;
  source: RunSource;
  requestId: string | null;
  requestedBy: string;
  params: Record<string, unknown>;
  tags: string[];
}

export interface RunFilter {
  model?: string;
  tag?: string;
  status?: RunStatus;
  version?: number;
  limit: number;
  offset: number;
}

export interface SeriesSummary {
  name: string;
  points: number;
  last_step: number;
  last_value: number;
}

const SELECT_RUN = `
  SELECT r.*,
         COALESCE(res.names, '{}') AS result_names,
         COALESCE(res.values, '{}') AS result_values
  FROM runs r
  LEFT JOIN LATERAL (
    SELECT array_agg(name ORDER BY name) AS names, array_agg(value ORDER BY name) AS values
    FROM run_results x WHERE x.tenant_id = r.tenant_id AND x.run_id = r.run_id
  ) res ON true`;

const MAX_ERROR = 4000;

@Injectable()
export class RunRepository {
  constructor(private readonly db: Database) {}

  async start(run: NewRun): Promise<void> {
    await this.insert(this.db.pool, {
      ...run,
      status: 'running',
      error: null,
      startedAt: null,
      finishedAt: null,
    });
  }

  /** A new run (false when the tenant has that run id already); a null startedAt is now. */
  private async insert(
    q: Queryable,
    run: NewRun & {
      status: RunStatus;
      error: string | null;
      startedAt: string | null;
      finishedAt: string | null;
    },
  ): Promise<boolean> {
    const inserted = await q.query(
      `INSERT INTO runs (tenant_id, run_id, model_name, kind, architecture, source, status, request_id, requested_by,
                         params, tags, error, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, COALESCE($13::timestamptz, now()), $14)
       ON CONFLICT (tenant_id, run_id) DO NOTHING`,
      [
        run.tenantId,
        run.runId,
        run.model,
        run.kind,
        run.architecture,
        run.source,
        run.status,
        run.requestId,
        run.requestedBy,
        JSON.stringify(run.params),
        run.tags,
        run.error?.slice(0, MAX_ERROR) ?? null,
        run.startedAt,
        run.finishedAt,
      ],
    );
    return Boolean(inserted.rowCount);
  }

  /** Earlier attempts of a request that were still running when their process stopped. */
  async interruptEarlier(tenantId: string, requestId: string, runId: string): Promise<void> {
    await this.db.query(
      `UPDATE runs SET status = 'failed', finished_at = now(),
              error = 'interrupted: the training process stopped during this attempt; the request was run again as run ' || $3
       WHERE tenant_id = $1 AND request_id = $2 AND run_id <> $3 AND status = 'running'`,
      [tenantId, requestId, runId],
    );
  }

  async mergeParams(tenantId: string, runId: string, params: Record<string, unknown>): Promise<void> {
    await this.db.query(`UPDATE runs SET params = params || $3::jsonb WHERE tenant_id = $1 AND run_id = $2`, [
      tenantId,
      runId,
      JSON.stringify(params),
    ]);
  }

  async addPoints(
    tenantId: string,
    runId: string,
    points: MetricPoint[],
    q: Queryable = this.db.pool,
  ): Promise<void> {
    if (points.length === 0) return;
    await q.query(
      `INSERT INTO run_metrics (tenant_id, run_id, name, step, value, recorded_at)
       SELECT $1, $2, p.name, p.step, p.value, p.at
       FROM unnest($3::text[], $4::integer[], $5::float8[], $6::timestamptz[]) AS p(name, step, value, at)
       ON CONFLICT (tenant_id, run_id, name, step) DO UPDATE SET value = EXCLUDED.value, recorded_at = EXCLUDED.recorded_at`,
      [
        tenantId,
        runId,
        points.map((p) => p.name),
        points.map((p) => p.step),
        points.map((p) => p.value),
        points.map((p) => p.at),
      ],
    );
  }

  private async addResults(
    q: Queryable,
    tenantId: string,
    runId: string,
    metrics: Record<string, number>,
  ): Promise<void> {
    const entries = Object.entries(metrics);
    if (entries.length === 0) return;
    await q.query(
      `INSERT INTO run_results (tenant_id, run_id, name, value)
       SELECT $1, $2, m.name, m.value FROM unnest($3::text[], $4::float8[]) AS m(name, value)
       ON CONFLICT (tenant_id, run_id, name) DO UPDATE SET value = EXCLUDED.value`,
      [tenantId, runId, entries.map(([k]) => k), entries.map(([, v]) => v)],
    );
  }

  /** Ends a running run; a run that already ended keeps its outcome. */
  async finish(
    tenantId: string,
    runId: string,
    outcome: {
      status: Exclude<RunStatus, 'running'>;
      error?: string;
      metrics?: Record<string, number>;
      version?: number;
      params?: Record<string, unknown>;
    },
  ): Promise<void> {
    await this.db.transaction(async (client) => {
      const ended = await client.query(
        `UPDATE runs SET status = $3, error = $4, registered_version = $5, params = params || $6::jsonb, finished_at = now()
         WHERE tenant_id = $1 AND run_id = $2 AND status = 'running'`,
        [
          tenantId,
          runId,
          outcome.status,
          outcome.error?.slice(0, MAX_ERROR) ?? null,
          outcome.version ?? null,
          JSON.stringify(outcome.params ?? {}),
        ],
      );
      if (ended.rowCount && outcome.metrics) await this.addResults(client, tenantId, runId, outcome.metrics);
    });
  }

  /**
   * An offline run, whole: the run, its series and its final evaluation in one transaction.
   * Importing the same run id again changes nothing (false).
   */
  async import(
    run: NewRun & {
      status: Exclude<RunStatus, 'running'>;
      error: string | null;
      startedAt: string;
      finishedAt: string | null;
      metrics: Record<string, number>;
      points: MetricPoint[];
    },
  ): Promise<boolean> {
    return this.db.transaction(async (client) => {
      if (!(await this.insert(client, run))) return false;
      await this.addResults(client, run.tenantId, run.runId, run.metrics);
      await this.addPoints(run.tenantId, run.runId, run.points, client);
      return true;
    });
  }

  async get(tenantId: string, runId: string): Promise<RunRow | undefined> {
    return (
      await this.db.query<RunRow>(`${SELECT_RUN} WHERE r.tenant_id = $1 AND r.run_id = $2`, [tenantId, runId])
    )[0];
  }

  /** The tenant's runs, newest first, by model, tag, status and registered version. */
  async list(tenantId: string, filter: RunFilter): Promise<RunRow[]> {
    return this.db.query<RunRow>(
      `${SELECT_RUN}
       WHERE r.tenant_id = $1
         AND ($2::text IS NULL OR r.model_name = $2)
         AND ($3::text IS NULL OR r.tags @> ARRAY[$3::text])
         AND ($4::text IS NULL OR r.status = $4)
         AND ($5::integer IS NULL OR r.registered_version = $5)
       ORDER BY r.started_at DESC, r.run_id
       LIMIT $6 OFFSET $7`,
      [
        tenantId,
        filter.model ?? null,
        filter.tag ?? null,
        filter.status ?? null,
        filter.version ?? null,
        filter.limit,
        filter.offset,
      ],
    );
  }

  async series(tenantId: string, runId: string): Promise<SeriesSummary[]> {
    return this.db.query<SeriesSummary>(
      `SELECT DISTINCT ON (name) name, count(*) OVER (PARTITION BY name)::integer AS points,
              step AS last_step, value AS last_value
       FROM run_metrics WHERE tenant_id = $1 AND run_id = $2
       ORDER BY name, step DESC`,
      [tenantId, runId],
    );
  }

  async points(tenantId: string, runId: string, name?: string): Promise<MetricPoint[]> {
    const rows = await this.db.query<{ name: string; step: number; value: number; recorded_at: Date }>(
      `SELECT name, step, value, recorded_at FROM run_metrics
       WHERE tenant_id = $1 AND run_id = $2 AND ($3::text IS NULL OR name = $3)
       ORDER BY name, step`,
      [tenantId, runId, name ?? null],
    );
    return rows.map((r) => ({ name: r.name, step: r.step, value: r.value, at: r.recorded_at.toISOString() }));
  }
}
