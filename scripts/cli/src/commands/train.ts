// `mercato train` and `mercato eval`: train offline in this process (`--offline`, the same job code
// the training service runs) or as a job through Kafka via the training service, and evaluate a
// model from a folder or the registry. Sentiment has three architectures: `transformer` (the
// pretrained encoder fine-tuned: the teacher), `student` (a fast CNN distilled from a teacher or an ensemble of them) and
// `cnn` (the CNN from labels alone). Tables for people, --json for scripts.
import {
  encoderDir,
  evaluateSentimentArtifact,
  parseLabelMap,
  readLabeledText,
  runSentimentJob,
  type ClassificationReport,
  type SentimentArchitecture,
} from '@mercato/ml';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { table } from './models';
import { encodingOption, formatOption, refuseTextDataOptions, type TextDataOptions } from './text-data';
import {
  err,
  fileDatasetRef,
  hpPairs,
  loadModel,
  runOffline,
  submitAndFollow,
  TRAIN_MODES_HELP,
} from './train-common';
import {
  defaultRecommenderName,
  evalRecommender,
  trainRecommender,
  type RecommenderEvalOptions,
  type RecommenderTrainOptions,
} from './train-recommender';

interface TrainOptions extends TextDataOptions {
  data: string;
  architecture?: string;
  teacher: string[];
  unlabeled?: string;
  labelMap?: string;
  test?: string;
  testSplit?: string;
  seed?: string;
  epochs?: string;
  hp: string[];
  tag: string[];
  offline?: boolean;
  out?: string;
  name?: string;
  promote?: boolean;
  json?: boolean;
}

const ARCHITECTURES: SentimentArchitecture[] = ['transformer', 'student', 'cnn'];

function architectureOf(opts: TrainOptions): SentimentArchitecture {
  const architecture = (opts.architecture ?? 'transformer') as SentimentArchitecture;
  if (!ARCHITECTURES.includes(architecture))
    throw new Error(`--architecture ${opts.architecture}: expected ${ARCHITECTURES.join(', ')}`);
  if (architecture === 'student' && opts.teacher.length === 0)
    throw new Error('--architecture student needs --teacher <folder | name@version | name@alias>');
  if (architecture !== 'student' && opts.teacher.length > 0)
    throw new Error('--teacher only applies to --architecture student');
  return architecture;
}

function hyperparameters(opts: TrainOptions): Record<string, string> {
  const hp = hpPairs(opts.hp);
  if (opts.epochs) hp.epochs = opts.epochs;
  if (opts.seed) hp.seed = opts.seed;
  return hp;
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

/** The data and its options as the dataset reference a training request carries. */
function datasetRefOf(opts: TrainOptions): string {
  const params = new URLSearchParams();
  if (opts.labelMap) params.set('labelMap', opts.labelMap);
  if (opts.test) params.set('test', resolve(opts.test));
  if (opts.testSplit) params.set('testSplit', opts.testSplit);
  if (opts.unlabeled) params.set('unlabeled', resolve(opts.unlabeled));
  if (opts.format) params.set('format', opts.format);
  if (opts.encoding) params.set('encoding', opts.encoding);
  return fileDatasetRef(opts.data, params);
}

async function trainOffline(opts: TrainOptions): Promise<void> {
  const architecture = architectureOf(opts);
  const teachers = await Promise.all(opts.teacher.map(loadModel));
  const encoder = architecture === 'transformer' ? await encoderDir(err) : undefined;
  const done = await runOffline(
    {
      name: opts.name ?? 'sentiment',
      kind: 'sentiment',
      architecture,
      datasetRef: datasetRefOf(opts),
      tags: opts.tag,
      out: opts.out,
      json: opts.json,
    },
    (onProgress) =>
      runSentimentJob(
        {
          kind: 'sentiment',
          architecture,
          trainPath: resolve(opts.data),
          testPath: opts.test && resolve(opts.test),
          testSplit: opts.testSplit ? Number(opts.testSplit) : undefined,
          labelMap: opts.labelMap,
          format: opts.format,
          encoding: opts.encoding,
          unlabeledPath: opts.unlabeled && resolve(opts.unlabeled),
          teachers: teachers.map((t) => ({ files: t.files, name: t.label })),
          encoderDir: encoder,
          hyperparameters: hyperparameters(opts),
        },
        onProgress,
      ),
    (r) => ({ metrics: r.metrics, report: r.report, lineage: r.lineage, seconds: r.seconds }),
  );
  if (!done) return;
  const { out, result } = done;
  process.stdout.write(
    `\n${reportTable(result.report)}\n\nmodel written to ${out} (backend ${result.lineage.backend}, ${result.seconds.toFixed(1)} s)\n`,
  );
}

async function trainAsJob(opts: TrainOptions): Promise<void> {
  const architecture = architectureOf(opts);
  await submitAndFollow(
    {
      modelName: opts.name ?? (architecture === 'transformer' ? 'sentiment-teacher' : 'sentiment'),
      kind: 'sentiment',
      architecture,
      teacher: opts.teacher.length > 0 ? opts.teacher.join(',') : undefined,
      datasetRef: datasetRefOf(opts),
      hyperparameters: hyperparameters(opts),
      promoteIfBetter: Boolean(opts.promote),
      tags: opts.tag,
    },
    opts.json,
  );
}

export function registerTrainCommands(program: Command): void {
  const collect = (value: string, previous: string[]): string[] => [...previous, value];
  program
    .command('train')
    .description('train a model: as a job through the running stack (default), or here with --offline')
    .argument('<kind>', 'sentiment | recommender')
    .option(
      '--data <file>',
      "sentiment (required): CSV text,label / PhraseBank sentence@label / JSON Lines; recommender: MovieLens ratings.csv or u.data (without it: the tenant's interactions in the feature store)",
    )
    .option(
      '--as-of <when>',
      "recommender without --data: the feature store's data as it was then (ISO date-time, or 2h/1d back; default now)",
    )
    .option(
      '--split-at <when>',
      'recommender without --data: hold out what happened from then on (ISO date-time, or 2h/1d back; default the latest 20%)',
    )
    .option(
      '--architecture <name>',
      'sentiment: transformer (fine-tune the pretrained encoder: the teacher; default), student (distil a fast CNN from --teacher) or cnn (CNN from labels only)',
    )
    .option(
      '--teacher <ref>',
      'sentiment student: the fine-tuned transformer, a folder or name@version|@alias; repeat it to distil from the ensemble of several fine-tunes of one encoder (their probabilities averaged)',
      collect,
      [],
    )
    .option(
      '--unlabeled <file>',
      'sentiment student: unlabeled in-domain text the teacher labels for the student',
    )
    .option('--label-map <map>', 'sentiment: raw label to class, e.g. 0=negative,1=positive,2=neutral (TFNS)')
    .addOption(formatOption('sentiment: '))
    .addOption(encodingOption('sentiment: '))
    .option('--items <file>', 'recommender: MovieLens movies.csv or u.item (titles and genres)')
    .option(
      '--objective <objective>',
      'recommender: explicit (ratings, MSE; default), implicit (BPR) or sequential (two-tower over the latest items, next-item softmax)',
    )
    .option('--split <split>', 'recommender: random, time or leave-last-out (default random)')
    .option('--test <file>', 'held-out evaluation data')
    .option('--test-split <fraction>', 'hold out this fraction of --data (default 0.2; sentiment: per label)')
    .option('--seed <n>', 'seed for the split, initialisation and shuffling')
    .option('--epochs <n>', 'maximum epochs')
    .option('--hp <name=value>', 'any other hyperparameter (repeatable)', collect, [])
    .option(
      '--tag <tag>',
      'a tag for the run (repeatable), to find it in `mercato runs list --tag`',
      collect,
      [],
    )
    .option('--offline', 'train in this process and write the model to a folder; nothing is registered')
    .option('--out <dir>', 'with --offline: where to write the model')
    .option(
      '--name <model>',
      `registry model name (default sentiment-teacher for transformers, sentiment otherwise, or ${defaultRecommenderName()})`,
    )
    .option('--promote', 'job mode: promote to production if the registry policy agrees')
    .option('--json', 'print JSON')
    .addHelpText('after', TRAIN_MODES_HELP)
    .action(async (kind: string, opts: Omit<TrainOptions, 'data'> & RecommenderTrainOptions) => {
      if (kind === 'recommender') {
        refuseTextDataOptions(kind, opts);
        await trainRecommender(opts);
      } else if (kind === 'sentiment') {
        const { data } = opts;
        if (data === undefined) throw new Error('train sentiment: --data <file> is required');
        if (opts.asOf !== undefined || opts.splitAt !== undefined)
          throw new Error('--as-of and --split-at are for recommenders trained from the feature store');
        if (opts.offline) await trainOffline({ ...opts, data });
        else await trainAsJob({ ...opts, data });
      } else throw new Error(`train ${kind}: expected sentiment or recommender`);
    });

  program
    .command('eval')
    .description('evaluate a model (a folder, or name[@version|@alias] from the registry) on data')
    .argument('<kind>', 'sentiment | recommender')
    .requiredOption('--model <ref>', 'model folder or registry reference, e.g. sentiment@production')
    .requiredOption('--data <file>', 'sentiment: labeled data; recommender: MovieLens ratings.csv or u.data')
    .option('--label-map <map>', 'sentiment: raw label to class, e.g. 0=negative,1=positive,2=neutral')
    .addOption(formatOption('sentiment: '))
    .addOption(encodingOption('sentiment: '))
    .option('--items <file>', 'recommender: MovieLens movies.csv or u.item')
    .option('--split <split>', 'recommender: the held-out split to rebuild (default random)')
    .option('--test <file>', 'recommender: held-out ratings (then --data is the training history)')
    .option('--test-split <fraction>', 'recommender: held-out fraction (default 0.2)')
    .option('--seed <n>', "recommender: split seed (default: the model's seed, i.e. its training split)")
    .option('--json', 'print JSON')
    .action(
      async (
        kind: string,
        opts: { model: string; data: string; labelMap?: string; json?: boolean } & TextDataOptions &
          RecommenderEvalOptions,
      ) => {
        if (kind === 'recommender') {
          refuseTextDataOptions(kind, opts);
          return evalRecommender(opts);
        }
        if (kind !== 'sentiment') throw new Error(`eval ${kind}: expected sentiment or recommender`);
        const model = await loadModel(opts.model);
        const data = readLabeledText(
          resolve(opts.data),
          opts.labelMap ? parseLabelMap(opts.labelMap) : undefined,
          opts,
        );
        const report = await evaluateSentimentArtifact(model, data);
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ model: model.label, examples: data.length, ...report }, null, 2)}\n`,
          );
        else
          process.stdout.write(
            `${model.label} on ${data.length} examples (protocol: every example scored once, batch 64)\n\n${reportTable(report)}\n\ninference ${Math.round(report.sentencesPerSecond)} sentences/s (single process)\n`,
          );
      },
    );
}
