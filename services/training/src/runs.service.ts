// Experiment runs for the API: the tenant's runs with their outcome, one run with its parameters and
// series, a run's metric points, and the import of an offline run's record (run.json).
import { notFound } from '@mercato/runtime';
import { decodeMetricValue, encodeMetricValue, type MetricPoint } from '@mercato/ml';
import { Injectable } from '@nestjs/common';
import type { z } from '@mercato/config';
import { RunRepository, type RunFilter, type RunRow } from './run.repository';
import type { ImportRunBody, RunMetricsView, RunSummaryView, RunView } from './runs.dto';

function summary(row: RunRow): RunSummaryView {
  return {
    runId: row.run_id,
    model: row.model_name,
    kind: row.kind,
    architecture: row.architecture,
    source: row.source,
    status: row.status,
    tags: row.tags,
    requestId: row.request_id,
    requestedBy: row.requested_by,
    registeredVersion: row.registered_version,
    metrics: Object.fromEntries(
      row.result_names.map((name, i) => [name, encodeMetricValue(row.result_values[i] as number)]),
    ),
    error: row.error,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    durationSeconds: row.finished_at ? (row.finished_at.getTime() - row.started_at.getTime()) / 1000 : null,
  };
}

@Injectable()
export class RunsService {
  constructor(private readonly runs: RunRepository) {}

  async list(tenantId: string, filter: RunFilter): Promise<RunSummaryView[]> {
    return (await this.runs.list(tenantId, filter)).map(summary);
  }

  async get(tenantId: string, runId: string): Promise<RunView> {
    const row = await this.runs.get(tenantId, runId);
    if (!row) throw notFound(`no run ${runId}`);
    const series = await this.runs.series(tenantId, runId);
    return {
      ...summary(row),
      params: row.params,
      series: series.map((s) => ({
        name: s.name,
        points: s.points,
        lastStep: s.last_step,
        lastValue: encodeMetricValue(s.last_value),
      })),
    };
  }

  async metrics(tenantId: string, runId: string, name?: string): Promise<RunMetricsView> {
    if (!(await this.runs.get(tenantId, runId))) throw notFound(`no run ${runId}`);
    const points = await this.runs.points(tenantId, runId, name);
    if (name !== undefined && points.length === 0) {
      const names = (await this.runs.series(tenantId, runId)).map((s) => s.name);
      throw notFound(
        `run ${runId} has no metric series ${name} (it has ${names.length > 0 ? names.join(', ') : 'none yet'})`,
      );
    }
    const byName = new Map<string, RunMetricsView['series'][number]['points']>();
    for (const p of points) {
      const list = byName.get(p.name) ?? [];
      list.push({ step: p.step, value: encodeMetricValue(p.value), at: p.at });
      byName.set(p.name, list);
    }
    return { runId, series: [...byName].map(([series, list]) => ({ name: series, points: list })) };
  }

  /** Imports an offline run for the tenant; the same run id again imports nothing. */
  async import(
    tenantId: string,
    run: z.output<typeof ImportRunBody>,
    requestedBy: string,
  ): Promise<{ runId: string; imported: boolean }> {
    const points: MetricPoint[] = Object.entries(run.series).flatMap(([name, list]) =>
      list.map((p) => ({ name, step: p.step, value: decodeMetricValue(p.value), at: p.at })),
    );
    const imported = await this.runs.import({
      tenantId,
      runId: run.runId,
      model: run.model,
      kind: run.kind,
      architecture: run.architecture,
      source: run.source,
      requestId: null,
      requestedBy,
      params: run.params,
      tags: run.tags,
      status: run.status,
      error: run.error,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      metrics: Object.fromEntries(Object.entries(run.metrics).map(([k, v]) => [k, decodeMetricValue(v)])),
      points,
    });
    return { runId: run.runId, imported };
  }
}
