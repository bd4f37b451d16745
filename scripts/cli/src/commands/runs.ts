// `mercato runs list|show|compare|import|tensorboard`: experiment runs from the training service
// (TRAINING_URL, the runs API): every training run's parameters, final evaluation and curves, as
// tables and terminal sparklines for people and `--json` for scripts; offline runs (the run.json
// `train --offline` leaves beside its model) imported into the service; any stored run written out
// as TensorBoard event files. Metric values that are not finite (a diverged loss) are shown as gaps
// and "NaN"/"Infinity" in tables, as the API gives them.
import {
  decodeMetricValue,
  openRunEvents,
  readRunFile,
  type JsonMetricValue,
  type MetricPoint,
} from '@mercato/ml';
import { REPO_ROOT } from '@mercato/dev-stack';
import type { Command } from 'commander';
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { table } from './models';
import { finiteRange, sparkline } from './sparkline';
import { trainingRequest } from './train-common';

interface RunSummary {
  runId: string;
  model: string;
  kind: 'sentiment' | 'recommender';
  architecture: string | null;
  source: string;
  status: string;
  tags: string[];
  requestId: string | null;
  requestedBy: string;
  registeredVersion: number | null;
  metrics: Record<string, JsonMetricValue>;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
}

interface RunDetail extends RunSummary {
  params: Record<string, unknown>;
  series: { name: string; points: number; lastStep: number; lastValue: JsonMetricValue }[];
}

interface RunSeries {
  name: string;
  points: { step: number; value: JsonMetricValue; at: string }[];
}

const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
const printJson = (value: unknown): void => say(JSON.stringify(value, null, 2));

const path = (runId: string, rest = ''): string => `/v1/runs/${encodeURIComponent(runId)}${rest}`;

async function fetchRun(runId: string): Promise<{ run: RunDetail; series: RunSeries[] }> {
  const [{ body: run }, { body: metrics }] = await Promise.all([
    trainingRequest<RunDetail>(path(runId)),
    trainingRequest<{ series: RunSeries[] }>(path(runId, '/metrics')),
  ]);
  return { run, series: metrics.series };
}

/** A metric value for a table: 4 decimals, integers as they are, non-finite by name. */
function cell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value !== 'number') return String(value as string | boolean);
  if (Number.isInteger(value)) return String(value);
  const a = Math.abs(value);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? value.toExponential(3) : value.toFixed(4);
}

const duration = (s: number | null): string =>
  s === null ? '-' : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;

const when = (iso: string): string => iso.slice(0, 16).replace('T', ' ');

/** The figure a run is judged by: macro-F1 for sentiment, sampled NDCG@10 for recommenders. */
const score = (r: RunSummary): JsonMetricValue | undefined =>
  r.kind === 'recommender' ? r.metrics.ndcg_at_10_sampled99 : (r.metrics.macro_f1 ?? r.metrics.accuracy);

/** Nested parameters as dotted keys (hyperparameters.learningRate, teacher.version). */
export function flattenParams(
  params: Record<string, unknown>,
  prefix = '',
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      flattenParams(value as Record<string, unknown>, name, out);
    else out[name] = Array.isArray(value) ? JSON.stringify(value) : value;
  }
  return out;
}

/** Every parameter of the runs, each with its value per run and whether the runs differ on it. */
export function parameterTable(
  runs: { params: Record<string, unknown> }[],
): { name: string; values: unknown[]; differs: boolean }[] {
  const flat = runs.map((r) => flattenParams(r.params));
  const names = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  return names.map((name) => {
    const values = flat.map((f) => f[name] ?? null);
    return { name, values, differs: new Set(values.map((v) => JSON.stringify(v))).size > 1 };
  });
}

const values = (points: RunSeries['points']): number[] => points.map((p) => decodeMetricValue(p.value));

/** `epoch/*` first, then `step/*`, then the rest, each by name. */
function seriesOrder(a: string, b: string): number {
  const rank = (n: string): number => ['epoch', 'step', 'labeling'].indexOf(n.split('/')[0] ?? '');
  return rank(a) - rank(b) || a.localeCompare(b);
}

function printRun(run: RunDetail, series: RunSeries[]): void {
  say(
    `run ${run.runId} · ${run.model}${run.architecture ? ` (${run.architecture})` : ''} · ${run.status} · ` +
      `${run.source}${run.requestedBy ? ` by ${run.requestedBy}` : ''} · ${duration(run.durationSeconds)}`,
  );
  if (run.registeredVersion) say(`registered ${run.model} v${run.registeredVersion}`);
  if (run.requestId) say(`training request ${run.requestId}`);
  if (run.tags.length > 0) say(`tags: ${run.tags.join(', ')}`);
  if (run.error) say(`error: ${run.error}`);
  say(`started ${when(run.startedAt)}${run.finishedAt ? `, ended ${when(run.finishedAt)}` : ''}`);
  say('');
  say(
    table(
      ['PARAMETER', 'VALUE'],
      parameterTable([run]).map((p) => [p.name, cell(p.values[0])]),
    ),
  );
  const metrics = Object.entries(run.metrics).sort(([a], [b]) => a.localeCompare(b));
  if (metrics.length > 0) {
    say('');
    say(
      table(
        ['FINAL METRIC', 'VALUE'],
        metrics.map(([k, v]) => [k, cell(v)]),
      ),
    );
  }
  if (series.length === 0) return say('\nno metric series recorded');
  say('');
  say(
    table(
      ['SERIES', 'POINTS', 'CURVE', 'FIRST', 'LAST', 'MIN', 'MAX', 'NON-FINITE'],
      [...series]
        .sort((a, b) => seriesOrder(a.name, b.name))
        .map((s) => {
          const v = values(s.points);
          const range = finiteRange(v);
          return [
            s.name,
            String(s.points.length),
            sparkline(v, 32),
            cell(s.points[0]?.value),
            cell(s.points.at(-1)?.value),
            cell(range?.lo),
            cell(range?.hi),
            String(v.filter((x) => !Number.isFinite(x)).length),
          ];
        }),
    ),
  );
  const epochs = series
    .filter((s) => s.name.startsWith('epoch/'))
    .sort((a, b) => seriesOrder(a.name, b.name));
  if (epochs.length === 0) return;
  const steps = [...new Set(epochs.flatMap((s) => s.points.map((p) => p.step)))].sort((a, b) => a - b);
  say('');
  say(
    table(
      ['EPOCH', ...epochs.map((s) => s.name.slice('epoch/'.length).toUpperCase())],
      steps.map((step) => [
        String(step),
        ...epochs.map((s) => cell(s.points.find((p) => p.step === step)?.value)),
      ]),
    ),
  );
}

function printComparison(runs: { run: RunDetail; series: RunSeries[] }[], allParams: boolean): void {
  const labels = runs.map((_, i) => String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String(i) : ''));
  runs.forEach(({ run }, i) =>
    say(
      `${labels[i]} = ${run.runId} · ${run.model}${run.architecture ? ` (${run.architecture})` : ''} · ${run.status}` +
        `${run.registeredVersion ? ` · v${run.registeredVersion}` : ''} · ${duration(run.durationSeconds)}`,
    ),
  );
  const params = parameterTable(runs.map((r) => r.run));
  const differing = params.filter((p) => p.differs);
  say('');
  say(
    `parameters: ${differing.length} of ${params.length} differ${allParams ? '' : ' (--all-params shows every one)'}`,
  );
  const shown = allParams ? params : differing;
  if (shown.length > 0)
    say(
      table(
        ['PARAMETER', ...labels, ...(allParams ? ['DIFFERS'] : [])],
        shown.map((p) => [p.name, ...p.values.map(cell), ...(allParams ? [p.differs ? 'yes' : ''] : [])]),
      ),
    );
  const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.run.metrics)))].sort();
  if (metricNames.length > 0) {
    const two = runs.length === 2;
    say('');
    say(
      table(
        ['FINAL METRIC', ...labels, ...(two ? ['B-A'] : [])],
        metricNames.map((name) => {
          const vs = runs.map((r) => r.run.metrics[name]);
          const [a, b] = vs.map((v) => (v === undefined ? Number.NaN : decodeMetricValue(v)));
          const delta =
            two && Number.isFinite(a) && Number.isFinite(b) ? (b as number) - (a as number) : undefined;
          return [
            name,
            ...vs.map(cell),
            ...(two ? [delta === undefined ? '-' : `${delta >= 0 ? '+' : ''}${cell(delta)}`] : []),
          ];
        }),
      ),
    );
  }
  const names = [...new Set(runs.flatMap((r) => r.series.map((s) => s.name)))].sort(seriesOrder);
  if (names.length === 0) return;
  say('');
  say('curves (each series on one scale for every run; blanks are non-finite values)');
  const rows: string[][] = [];
  for (const name of names) {
    const perRun = runs.map((r) => values(r.series.find((s) => s.name === name)?.points ?? []));
    const range = finiteRange(...perRun);
    perRun.forEach((v, i) =>
      rows.push([
        i === 0 ? name : '',
        labels[i] as string,
        v.length === 0 ? '(none)' : sparkline(v, 32, range),
        v.length === 0 ? '' : cell(v.at(-1)),
      ]),
    );
  }
  say(table(['SERIES', 'RUN', 'CURVE', 'LAST'], rows));
}

export function registerRunsCommand(program: Command): void {
  const runs = program
    .command('runs')
    .description(
      'experiment runs: every training run with its parameters, curves and outcome (the training service at TRAINING_URL)',
    );

  runs
    .command('list')
    .description('runs, newest first')
    .option('--model <name>', 'only runs of this model')
    .option('--tag <tag>', 'only runs with this tag')
    .option('--status <status>', 'running, finished, failed or cancelled')
    .option('--version <n>', 'with --model: the run that produced this registry version')
    .option('--limit <n>', 'at most this many (default 50)')
    .option('--json', 'print the API response as JSON')
    .action(
      async (opts: {
        model?: string;
        tag?: string;
        status?: string;
        version?: string;
        limit?: string;
        json?: boolean;
      }) => {
        const query = new URLSearchParams();
        for (const key of ['model', 'tag', 'status', 'version', 'limit'] as const) {
          const value = opts[key];
          if (value !== undefined) query.set(key, value);
        }
        const { body } = await trainingRequest<{ items: RunSummary[] }>(
          `/v1/runs${query.size > 0 ? `?${query.toString()}` : ''}`,
        );
        if (opts.json) return printJson(body);
        if (body.items.length === 0) return say('no runs');
        say(
          table(
            ['RUN', 'MODEL', 'ARCH', 'STATUS', 'SOURCE', 'VERSION', 'STARTED', 'TIME', 'SCORE', 'TAGS'],
            body.items.map((r) => [
              r.runId,
              r.model,
              r.architecture ?? '-',
              r.status,
              r.source,
              r.registeredVersion ? `v${r.registeredVersion}` : '-',
              when(r.startedAt),
              duration(r.durationSeconds),
              cell(score(r)),
              r.tags.join(',') || '-',
            ]),
          ),
        );
      },
    );

  runs
    .command('show <runId>')
    .description('a run: parameters, final evaluation, every series as a sparkline, the per-epoch table')
    .option('--json', 'print the run and its series as JSON')
    .action(async (runId: string, opts: { json?: boolean }) => {
      const { run, series } = await fetchRun(runId);
      if (opts.json) return printJson({ run, series });
      printRun(run, series);
    });

  runs
    .command('compare <runIds...>')
    .description(
      'two or more runs side by side: the parameters that differ, final metrics, curves on one scale',
    )
    .option('--all-params', 'every parameter, not only those that differ')
    .option('--json', 'print the comparison as JSON')
    .action(async (runIds: string[], opts: { allParams?: boolean; json?: boolean }) => {
      if (runIds.length < 2) throw new Error('runs compare needs two or more run ids');
      const loaded = await Promise.all(runIds.map(fetchRun));
      if (opts.json) {
        const params = parameterTable(loaded.map((r) => r.run));
        const metricNames = [...new Set(loaded.flatMap((r) => Object.keys(r.run.metrics)))].sort();
        const seriesNames = [...new Set(loaded.flatMap((r) => r.series.map((s) => s.name)))].sort(
          seriesOrder,
        );
        return printJson({
          runs: loaded.map((r) => r.run),
          parameters: opts.allParams ? params : params.filter((p) => p.differs),
          metrics: metricNames.map((name) => ({
            name,
            values: loaded.map((r) => r.run.metrics[name] ?? null),
          })),
          series: seriesNames.map((name) => ({
            name,
            runs: loaded.map((r) => ({
              runId: r.run.runId,
              points: r.series.find((s) => s.name === name)?.points ?? [],
            })),
          })),
        });
      }
      printComparison(loaded, Boolean(opts.allParams));
    });

  runs
    .command('import <folders...>')
    .description(
      'import offline runs (the run.json `train --offline` writes beside its model) into the training service',
    )
    .option('--json', 'print what was imported as JSON')
    .action(async (folders: string[], opts: { json?: boolean }) => {
      const items: { folder: string; runId: string; imported: boolean }[] = [];
      for (const folder of folders) {
        const record = await readRunFile(resolve(folder));
        const { body } = await trainingRequest<{ runId: string; imported: boolean }>('/v1/runs', {
          method: 'POST',
          body: record,
        });
        items.push({ folder: resolve(folder), ...body });
        if (!opts.json)
          say(
            `${body.imported ? 'imported' : 'already imported'}: run ${body.runId} (${record.model}) from ${folder}`,
          );
      }
      if (opts.json) printJson({ items });
    });

  runs
    .command('tensorboard <runIds...>')
    .description(
      'write stored runs as TensorBoard event files (<logdir>/<model>/<run id>), for tensorboard --logdir',
    )
    .option('--logdir <dir>', 'where to write them', join(REPO_ROOT, '.mercato', 'tensorboard'))
    .option('--json', 'print what was written as JSON')
    .action(async (runIds: string[], opts: { logdir: string; json?: boolean }) => {
      const logdir = resolve(opts.logdir);
      const written: { runId: string; dir: string; points: number }[] = [];
      for (const runId of runIds) {
        const { run, series } = await fetchRun(runId);
        const dir = join(logdir, run.model, run.runId);
        // Written again from the stored series: an earlier export of the run is replaced, not doubled.
        try {
          for (const file of readdirSync(dir))
            if (file.startsWith('events.out.tfevents.')) rmSync(join(dir, file));
        } catch {
          // a first export: nothing to replace
        }
        const events = await openRunEvents(dir);
        if ('unavailable' in events) throw new Error(events.unavailable);
        const points: MetricPoint[] = series.flatMap((s) =>
          s.points.map((p) => ({ name: s.name, step: p.step, value: decodeMetricValue(p.value), at: p.at })),
        );
        events.write(points);
        const lastEpoch = Math.max(
          0,
          ...points.filter((p) => p.name.startsWith('epoch/')).map((p) => p.step),
        );
        events.writeFinal(
          Object.fromEntries(Object.entries(run.metrics).map(([k, v]) => [k, decodeMetricValue(v)])),
          lastEpoch,
        );
        events.flush();
        written.push({ runId: run.runId, dir, points: points.length });
      }
      if (opts.json) return printJson({ logdir, runs: written });
      for (const w of written) say(`run ${w.runId}: ${w.points} points in ${w.dir}`);
      say(`view them: tensorboard --logdir ${logdir}`);
    });
}
