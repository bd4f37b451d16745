// What `mercato train` and `mercato eval` share across model kinds: progress lines, running a job in
// this process (--offline), loading a model from a folder or the registry, and submitting a job to the
// training service and following it.
import { cliAuthHeaders, cliCredential } from './keys';
import { parseModelRef } from '@mercato/contracts';
import {
  openRunEvents,
  readArtifact,
  RUN_EVENTS_DIR,
  RUN_FILE,
  RunLog,
  writeArtifact,
  writeRunFile,
  type ArtifactFile,
  type JobProgress,
  type ModelArtifact,
  type RunRecord,
} from '@mercato/ml';
import { REPO_ROOT } from '@mercato/dev-stack';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { registryClient, table } from './models';
import { DEFAULT_TRAINING_URL, trainingUrl } from './service-urls';

export const err = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

export function progressLine(p: JobProgress): string {
  switch (p.stage) {
    case 'epoch': {
      const acc = p.valAccuracy === undefined ? '' : ` val_acc ${p.valAccuracy.toFixed(3)}`;
      const f1 = p.valMacroF1 === undefined ? '' : ` val_macro_f1 ${p.valMacroF1.toFixed(3)}`;
      return `  ${p.phase} epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)}${acc}${f1} (${Math.round(p.samplesPerSecond)}/s)`;
    }
    case 'step': {
      const loss = p.loss === undefined ? '' : ` loss ${p.loss.toFixed(4)}`;
      const lr = p.learningRate === undefined ? '' : ` lr ${p.learningRate.toExponential(2)}`;
      return `  ${p.phase} ${p.step}/${p.steps}${loss}${lr} (${Math.round(p.samplesPerSecond)}/s)`;
    }
    case 'warning':
      return `  warning: ${p.message}`;
    case 'params': {
      const hp = (p.params.hyperparameters ?? {}) as Record<string, unknown>;
      return `  parameters: ${Object.entries(hp)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')}`;
    }
    case 'loading':
    case 'augmenting':
    case 'labeling':
    case 'training':
    case 'evaluating':
    case 'packaging':
      return `  ${p.stage}: ${p.message}`;
  }
}

/** What an offline run records about itself before the job reports its resolved parameters. */
export interface OfflineRun {
  name: string;
  kind: RunRecord['kind'];
  architecture?: string;
  datasetRef: string;
  tags: string[];
  out?: string;
  json?: boolean;
}

/**
 * `--offline`: runs a job in this process (progress on stderr; only warnings with --json), writes its model to
 * `out` (default .mercato/models/<name>-<time>) with the experiment run beside it: run.json (what
 * `mercato runs import` sends to the training service) and TensorBoard event files in tensorboard/,
 * written as the job runs. A job that fails still leaves its run record, with its curves up to the
 * failure. With --json it prints the folder, the run id and `jsonView` of the result and returns
 * nothing; otherwise it returns the folder and the result for a table.
 */
export async function runOffline<
  R extends { artifact: ModelArtifact; metrics: Record<string, number>; lineage: object },
>(
  opts: OfflineRun,
  run: (onProgress: (p: JobProgress) => void) => Promise<R>,
  jsonView: (result: R) => Record<string, unknown>,
): Promise<{ out: string; result: R } | undefined> {
  const out = resolve(
    opts.out ??
      join(REPO_ROOT, '.mercato/models', `${opts.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  const log = new RunLog(randomUUID(), {
    model: opts.name,
    kind: opts.kind,
    architecture: opts.architecture,
    tags: opts.tags,
    params: { datasetRef: opts.datasetRef },
  });
  const opened = await openRunEvents(join(out, RUN_EVENTS_DIR));
  const events = 'unavailable' in opened ? undefined : opened;
  if ('unavailable' in opened) err(progressLine({ stage: 'warning', message: opened.unavailable }));
  let result: R;
  try {
    result = await run((p) => {
      events?.write(log.observe(p));
      if (!opts.json || p.stage === 'warning') err(progressLine(p));
    });
  } catch (cause) {
    const file = await writeRunFile(out, log.record({ status: 'failed', error: (cause as Error).message }));
    err(`run ${log.runId} failed; its record (curves up to the failure) is in ${file}`);
    throw cause;
  }
  await writeArtifact(out, result.artifact);
  events?.writeFinal(result.metrics, result.metrics.epochs ?? 0);
  events?.flush();
  const { history: _history, ...params } = result.lineage as Record<string, unknown>;
  await writeRunFile(out, log.record({ status: 'finished', metrics: result.metrics, params }));
  err(
    `run ${log.runId}: ${join(out, RUN_FILE)} (import it with \`npx mercato runs import ${out}\`)` +
      (events ? `; TensorBoard: tensorboard --logdir ${out}` : ''),
  );
  if (!opts.json) return { out, result };
  process.stdout.write(`${JSON.stringify({ out, runId: log.runId, ...jsonView(result) }, null, 2)}\n`);
  return undefined;
}

/** A data file and its options as a `file://` dataset reference, the form training requests take. */
export function fileDatasetRef(path: string, params: URLSearchParams): string {
  return `file://${resolve(path)}${params.size > 0 ? `?${params.toString()}` : ''}`;
}

/** `--hp name=value` pairs; values stay strings so non-numeric ones (objective) pass through. */
export function hpPairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (at < 1 || value === '') throw new Error(`--hp ${pair}: expected name=value`);
    out[key] = value;
  }
  return out;
}

/** A model folder, or a registry reference `name`, `name@alias` or `name@version` (`name`: production). */
export async function loadModel(ref: string): Promise<{ files: ArtifactFile[]; label: string }> {
  if (existsSync(ref)) return { files: (await readArtifact(resolve(ref))).files, label: resolve(ref) };
  const model = parseModelRef(ref);
  const registry = registryClient();
  const version = await registry.resolve(model);
  const { files } = await registry.download(model.name, version);
  return { files, label: `${model.name} v${version}` };
}

export interface JobView {
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** The experiment run of the job's current attempt (`mercato runs show <id>`). */
  runId: string | null;
  version: number | null;
  metrics: Record<string, number> | null;
  championMetrics: Record<string, number> | null;
  promotion: { outcome: string; reason: string } | null;
  error: string | null;
  progress: JobProgress[];
}

export interface JobSubmission {
  modelName: string;
  kind: 'sentiment' | 'recommender';
  architecture?: string;
  teacher?: string;
  datasetRef: string;
  hyperparameters: Record<string, string | number>;
  promoteIfBetter: boolean;
  tags: string[];
}

/** What `mercato train --help` says about its two modes. */
export const TRAIN_MODES_HELP = `
Two modes:
  (default)  a job through the running stack: the training service (TRAINING_URL, default
             ${DEFAULT_TRAINING_URL}) trains the model and registers a new version in its model
             registry, for the tenant of your API key (MERCATO_API_KEY, else the admin key that
             \`mercato up\` saved). The data files must be readable by the training service.
  --offline  trains in this process and writes the model to a folder (--out); nothing is
             registered. Evaluate it with \`mercato eval --model <folder>\`.`;

/**
 * One request to the training service (TRAINING_URL) with the CLI's credential; an unreachable
 * service or an error answer is an Error saying which, with the service's message.
 */
export async function trainingRequest<T>(
  path: string,
  init: { method?: 'GET' | 'POST'; body?: unknown } = {},
  hint = 'start the stack (npx mercato up) or set TRAINING_URL',
): Promise<{ status: number; body: T }> {
  const base = trainingUrl();
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...cliAuthHeaders(),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch (cause) {
    const { code } = (cause as { cause?: { code?: string } }).cause ?? {};
    throw new Error(`cannot reach the training service at ${base}${code ? ` (${code})` : ''}: ${hint}`, {
      cause,
    });
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      const error = JSON.parse(text) as { message?: string; errors?: { field: string; reason: string }[] };
      message = [
        error.message,
        ...(error.errors ?? [])
          .filter((e) => e.reason !== error.message)
          .map((e) => `${e.field}: ${e.reason}`),
      ]
        .filter(Boolean)
        .join('; ');
    } catch {
      // not the common error body: the text as it came
    }
    throw new Error(`training service answered ${res.status} to ${init.method ?? 'GET'} ${path}: ${message}`);
  }
  return { status: res.status, body: JSON.parse(text) as T };
}

/**
 * Submits a training request through the training service and prints its progress until it ends.
 * Where the job goes (service, credential, then the tenant and registry the service answers with) is
 * printed on stderr first, with --json too: training through a stack registers a version there.
 */
export async function submitAndFollow(job: JobSubmission, json: boolean | undefined): Promise<void> {
  const base = trainingUrl();
  const credential = cliCredential();
  err(`training as a job through the running stack (--offline trains in this process instead):`);
  err(
    `  training service  ${base}${process.env.TRAINING_URL ? ' (TRAINING_URL)' : ' (default; TRAINING_URL sets it)'}`,
  );
  err(`  credential        ${credential.source}${credential.tenant ? ` (tenant ${credential.tenant})` : ''}`);
  err(
    `  model             ${job.modelName}: a new version${job.promoteIfBetter ? ', promoted if the promotion policy agrees' : ''}`,
  );
  const { body } = await trainingRequest<{ requestId: string; tenantId: string; modelRegistry: string }>(
    '/v1/jobs',
    { method: 'POST', body: job },
    'start the stack (npx mercato up) or train here with --offline',
  );
  const { requestId, tenantId, modelRegistry } = body;
  err(`  submitted         request ${requestId} for tenant ${tenantId}; model registry ${modelRegistry}`);
  let shown = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1_000));
    const poll = await fetch(`${base}/v1/jobs/${requestId}`, { headers: cliAuthHeaders() });
    if (poll.status === 404) continue;
    const view = (await poll.json()) as JobView;
    for (const p of view.progress.slice(shown)) if (!json || p.stage === 'warning') err(progressLine(p));
    shown = view.progress.length;
    if (view.status === 'failed' || view.status === 'cancelled')
      throw new Error(
        `training ${view.status}: ${view.error}${view.runId ? ` (run ${view.runId}: npx mercato runs show ${view.runId})` : ''}`,
      );
    if (view.status === 'succeeded') {
      if (json) {
        process.stdout.write(`${JSON.stringify({ requestId, ...view, progress: undefined }, null, 2)}\n`);
        return;
      }
      const rows = Object.entries(view.metrics ?? {}).map(([k, v]) => [
        k,
        v.toFixed(4),
        view.championMetrics?.[k]?.toFixed(4) ?? '',
      ]);
      process.stdout.write(
        `\n${table(['metric', `v${view.version}`, 'production'], rows)}\n\nregistered ${job.modelName} v${view.version}`,
      );
      process.stdout.write(
        view.promotion ? `; promotion: ${view.promotion.outcome} (${view.promotion.reason})\n` : '\n',
      );
      if (view.runId) process.stdout.write(`run ${view.runId} (npx mercato runs show ${view.runId})\n`);
      return;
    }
  }
}
