// `mercato train` and `mercato eval`: train offline in this process (`--offline`, the same job code
// the training service runs) or as a job through Kafka via the training service, and evaluate a
// model from a folder or the registry. Tables for people, --json for scripts.
import {
  evaluateSentimentArtifact,
  parseLabelMap,
  readArtifact,
  readLabeledText,
  RegistryClient,
  runSentimentJob,
  writeArtifact,
  type ClassificationReport,
  type JobProgress,
} from '@mercato/ml';
import { REPO_ROOT } from '@mercato/testing';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { table, DEFAULT_REGISTRY_URL } from './models';

const DEFAULT_TRAINING_URL = 'http://127.0.0.1:8083';

interface TrainOptions {
  data: string;
  labelMap?: string;
  test?: string;
  testSplit?: string;
  seed?: string;
  pretrain?: string;
  epochs?: string;
  hp: string[];
  offline?: boolean;
  out?: string;
  name: string;
  promote?: boolean;
  json?: boolean;
}

const err = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

function hyperparameters(opts: TrainOptions): Record<string, number> {
  const hp: Record<string, number> = {};
  for (const pair of opts.hp) {
    const [key, value] = pair.split('=');
    if (!key || value === undefined || !Number.isFinite(Number(value)))
      throw new Error(`--hp ${pair}: expected name=number`);
    hp[key] = Number(value);
  }
  if (opts.epochs) hp.epochs = Number(opts.epochs);
  if (opts.seed) hp.seed = Number(opts.seed);
  return hp;
}

function progressLine(p: JobProgress): string {
  if (p.stage === 'epoch') {
    const acc = p.valAccuracy === undefined ? '' : ` val_acc ${p.valAccuracy.toFixed(3)}`;
    return `  ${p.phase} epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)}${acc} (${Math.round(p.samplesPerSecond)}/s)`;
  }
  return `  ${p.stage}: ${p.message}`;
}

export function reportTable(report: ClassificationReport): string {
  const summary = table(
    ['metric', 'value'],
    [
      ['accuracy', report.accuracy.toFixed(4)],
      ['macro F1', report.macroF1.toFixed(4)],
    ],
  );
  const perClass = table(
    ['class', 'precision', 'recall', 'f1', 'support'],
    report.perClass.map((c) => [
      c.label,
      c.precision.toFixed(4),
      c.recall.toFixed(4),
      c.f1.toFixed(4),
      String(c.support),
    ]),
  );
  const confusion = table(
    ['actual \\ predicted', ...report.labels],
    report.confusion.map((row, i) => [report.labels[i] as string, ...row.map(String)]),
  );
  return `${summary}\n\n${perClass}\n\n${confusion}`;
}

async function trainOffline(opts: TrainOptions): Promise<void> {
  const out = resolve(
    opts.out ??
      join(REPO_ROOT, '.mercato/models', `${opts.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  const result = await runSentimentJob(
    {
      kind: 'sentiment',
      trainPath: resolve(opts.data),
      testPath: opts.test && resolve(opts.test),
      testSplit: opts.testSplit ? Number(opts.testSplit) : undefined,
      labelMap: opts.labelMap,
      pretrainPath: opts.pretrain && resolve(opts.pretrain),
      hyperparameters: hyperparameters(opts),
    },
    (p) => {
      if (!opts.json) err(progressLine(p));
    },
  );
  await writeArtifact(out, result.artifact);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ out, metrics: result.metrics, report: result.report, lineage: result.lineage, seconds: result.seconds }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `\n${reportTable(result.report)}\n\nmodel written to ${out} (backend ${result.lineage.backend}, ${result.seconds.toFixed(1)} s)\n`,
  );
}

interface JobView {
  status: 'running' | 'succeeded' | 'failed';
  version: number | null;
  metrics: Record<string, number> | null;
  championMetrics: Record<string, number> | null;
  promotion: { outcome: string; reason: string } | null;
  error: string | null;
  progress: JobProgress[];
}

async function trainAsJob(opts: TrainOptions): Promise<void> {
  const base = process.env.TRAINING_URL ?? DEFAULT_TRAINING_URL;
  const params = new URLSearchParams();
  if (opts.labelMap) params.set('labelMap', opts.labelMap);
  if (opts.test) params.set('test', resolve(opts.test));
  if (opts.testSplit) params.set('testSplit', opts.testSplit);
  if (opts.pretrain) params.set('pretrain', resolve(opts.pretrain));
  const datasetRef = `file://${resolve(opts.data)}${params.size > 0 ? `?${params.toString()}` : ''}`;
  const res = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      modelName: opts.name,
      kind: 'sentiment',
      datasetRef,
      hyperparameters: hyperparameters(opts),
      promoteIfBetter: Boolean(opts.promote),
      requestedBy: 'cli',
    }),
  });
  if (!res.ok) throw new Error(`training service answered ${res.status}: ${await res.text()}`);
  const { requestId } = (await res.json()) as { requestId: string };
  if (!opts.json) err(`submitted training request ${requestId} to training.requests.v1`);
  let shown = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1_000));
    const poll = await fetch(`${base}/v1/jobs/${requestId}`);
    if (poll.status === 404) continue;
    const job = (await poll.json()) as JobView;
    if (!opts.json) for (const p of job.progress.slice(shown)) err(progressLine(p));
    shown = job.progress.length;
    if (job.status === 'failed') throw new Error(`training failed: ${job.error}`);
    if (job.status === 'succeeded') {
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ requestId, ...job, progress: undefined }, null, 2)}\n`);
      } else {
        const rows = Object.entries(job.metrics ?? {}).map(([k, v]) => [
          k,
          v.toFixed(4),
          job.championMetrics?.[k]?.toFixed(4) ?? '',
        ]);
        process.stdout.write(
          `\n${table(['metric', `v${job.version}`, 'production'], rows)}\n\nregistered ${opts.name} v${job.version}`,
        );
        process.stdout.write(
          job.promotion ? `; promotion: ${job.promotion.outcome} (${job.promotion.reason})\n` : '\n',
        );
      }
      return;
    }
  }
}

async function loadModel(
  ref: string,
): Promise<{ files: { path: string; bytes: Uint8Array }[]; label: string }> {
  if (existsSync(ref)) return { files: (await readArtifact(resolve(ref))).files, label: resolve(ref) };
  const [name, which = 'production'] = ref.split('@') as [string, string?];
  const registry = new RegistryClient(process.env.MODEL_REGISTRY_URL ?? DEFAULT_REGISTRY_URL);
  const version = /^\d+$/.test(which)
    ? Number(which)
    : await registry.resolveAlias(name, which as 'production');
  if (version === undefined) throw new Error(`${name} has no ${which} alias`);
  const { files } = await registry.download(name, version);
  return { files, label: `${name} v${version}` };
}

export function registerTrainCommands(program: Command): void {
  const collect = (value: string, previous: string[]): string[] => [...previous, value];
  program
    .command('train')
    .description('train a model: offline in this process, or as a job through the training service')
    .argument('<kind>', 'sentiment (recommender: see bench/recommender.ts)')
    .requiredOption('--data <file>', 'labeled data: CSV text,label / PhraseBank sentence@label / JSON Lines')
    .option('--label-map <map>', 'raw label to class, e.g. 0=negative,1=positive,2=neutral (TFNS)')
    .option('--test <file>', 'held-out evaluation data')
    .option('--test-split <fraction>', 'hold out this fraction of --data instead (default 0.2)')
    .option('--seed <n>', 'seed for the split, initialisation and shuffling')
    .option('--pretrain <file>', 'unlabeled text for self-supervised pretraining first')
    .option('--epochs <n>', 'maximum epochs')
    .option('--hp <name=value>', 'any other hyperparameter (repeatable)', collect, [])
    .option('--offline', 'train here and write the model to a folder, without the stack')
    .option('--out <dir>', 'with --offline: where to write the model')
    .option('--name <model>', 'registry model name', 'sentiment')
    .option('--promote', 'promote to production if the registry policy agrees')
    .option('--json', 'print JSON')
    .action(async (kind: string, opts: TrainOptions) => {
      if (kind !== 'sentiment') throw new Error(`train ${kind}: only sentiment is wired into the CLI so far`);
      if (opts.offline) await trainOffline(opts);
      else await trainAsJob(opts);
    });

  program
    .command('eval')
    .description('evaluate a model (a folder, or name[@version|@alias] from the registry) on labeled data')
    .argument('<kind>', 'sentiment')
    .requiredOption('--model <ref>', 'model folder or registry reference, e.g. sentiment@production')
    .requiredOption('--data <file>', 'labeled evaluation data')
    .option('--label-map <map>', 'raw label to class, e.g. 0=negative,1=positive,2=neutral')
    .option('--json', 'print JSON')
    .action(
      async (kind: string, opts: { model: string; data: string; labelMap?: string; json?: boolean }) => {
        if (kind !== 'sentiment')
          throw new Error(`eval ${kind}: only sentiment is wired into the CLI so far`);
        const model = await loadModel(opts.model);
        const data = readLabeledText(
          resolve(opts.data),
          opts.labelMap ? parseLabelMap(opts.labelMap) : undefined,
        );
        const report = await evaluateSentimentArtifact(model, data);
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ model: model.label, examples: data.length, ...report }, null, 2)}\n`,
          );
        else process.stdout.write(`${model.label} on ${data.length} examples\n\n${reportTable(report)}\n`);
      },
    );
}
