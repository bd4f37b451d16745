// Sentiment benchmark on TFNS (Twitter Financial News Sentiment): trains on sent_train.csv, evaluates
// on sent_valid.csv, and prints accuracy / macro-F1 of every tier, per seed and as mean and spread:
// the TF-IDF linear baseline (the floor), the CNN from labels, the fine-tuned transformer (the
// teacher, one per seed), the ensemble of the seeds' teachers (their mean probabilities) and their
// weight soup (they share the head's initialization, `--init-seed`; a seed varies shuffling and
// dropout), and the CNN distilled from the ensemble (the student, one per seed: the ensemble labels
// the transfer set once, split and augmented with `--init-seed`, and each seed trains a student on
// those labels), with training time and single-process inference sentences/s at batch 64 on this
// machine. `--save dir` keeps each seed's teacher and student artifacts (and the soup); `--load dir`
// scores saved ones again without training (e.g. speed on an idle machine).
// Usage: node dist/bench/sentiment.js [--data ../shared/data/tfns] [--seeds 42,43,44] [--init-seed 42]
//          [--models tfidf,cnn,transformer,student] [--encoder dir] [--save dir | --load dir] [--json]
import {
  DEFAULT_SENTIMENT_HP,
  LinearTextBaseline,
  SENTIMENT_LABELS,
  SentimentModel,
  Tokenizer,
  TransformerSentimentModel,
  classificationReport,
  confusionRates,
  distillStudent,
  ensureEncoder,
  evaluateEnsemble,
  inferenceThroughput,
  loadPretrainedEncoder,
  parseLabelMap,
  readArtifact,
  readTextLabelCsv,
  selectBackend,
  writeArtifact,
  type BackendPreference,
  type ClassificationReport,
} from '@mercato/ml';
import { stratifiedSplit } from '@mercato/synthetic';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(__dirname, '../../../shared/data/tfns') },
    seeds: { type: 'string', default: '42,43,44' },
    models: { type: 'string', default: 'tfidf,cnn,transformer,student' },
    encoder: { type: 'string' },
    save: { type: 'string' },
    load: { type: 'string' },
    'init-seed': { type: 'string', default: '42' },
    backend: { type: 'string', default: 'auto' },
    'teacher-hp': { type: 'string', default: '{}' },
    'student-hp': { type: 'string', default: '{}' },
    augment: { type: 'string', default: '{}' },
    json: { type: 'boolean', default: false },
  },
});

interface Row {
  model: string;
  seed: number;
  accuracy: number;
  macroF1: number;
  trainSeconds: number;
  sentencesPerSecond: number;
  epochs?: number;
  teacherAgreement?: number;
}

const log = (msg: string): void => {
  process.stderr.write(`${msg}\n`);
};

const row = (
  model: string,
  seed: number,
  report: ClassificationReport,
  extra: Omit<Row, 'model' | 'seed' | 'accuracy' | 'macroF1'>,
): Row => {
  const r = { model, seed, accuracy: report.accuracy, macroF1: report.macroF1, ...extra };
  log(
    `  ${model} seed ${seed}: accuracy ${r.accuracy.toFixed(4)} macro-F1 ${r.macroF1.toFixed(4)} train ${r.trainSeconds.toFixed(0)} s, ${Math.round(r.sentencesPerSecond)} sentences/s`,
  );
  return r;
};

function summarize(rows: Row[]): Record<string, string | number>[] {
  const models = [...new Set(rows.map((r) => r.model))];
  const stats = (xs: number[]): { mean: number; std: number; min: number; max: number } => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
    return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
  };
  return models.map((model) => {
    const rs = rows.filter((r) => r.model === model);
    const acc = stats(rs.map((r) => r.accuracy));
    const f1 = stats(rs.map((r) => r.macroF1));
    return {
      model,
      seeds: rs.length,
      accuracy: `${acc.mean.toFixed(4)} ± ${acc.std.toFixed(4)} [${acc.min.toFixed(4)}, ${acc.max.toFixed(4)}]`,
      macroF1: `${f1.mean.toFixed(4)} ± ${f1.std.toFixed(4)} [${f1.min.toFixed(4)}, ${f1.max.toFixed(4)}]`,
      macroF1Spread: Number((f1.max - f1.min).toFixed(4)),
      trainSeconds: Math.round(stats(rs.map((r) => r.trainSeconds)).mean),
      sentencesPerSecond: Math.round(stats(rs.map((r) => r.sentencesPerSecond)).mean),
    };
  });
}

async function main(): Promise<void> {
  const { tf, name: backend } = await selectBackend(values.backend as BackendPreference);
  const labelMap = parseLabelMap('0=negative,1=positive,2=neutral');
  const train = readTextLabelCsv(join(values.data, 'sent_train.csv'), labelMap);
  const test = readTextLabelCsv(join(values.data, 'sent_valid.csv'), labelMap);
  const testTexts = test.map((d) => d.text);
  const seeds = values.seeds.split(',').map(Number);
  const models = new Set(values.models.split(','));
  // A folder of saved artifacts: each seed's teacher/student found there is scored again, the others
  // are trained (e.g. students from saved teachers).
  const saved = (name: string): string | undefined =>
    values.load && existsSync(join(values.load, name, 'manifest.json')) ? join(values.load, name) : undefined;
  const encoderDir =
    models.has('transformer') && seeds.some((seed) => !saved(`teacher-${seed}`))
      ? (values.encoder ?? (await ensureEncoder({ log })).dir)
      : undefined;
  log(
    `backend ${backend}; ${train.length} training and ${test.length} test sentences; seeds ${seeds.join(', ')}`,
  );
  const rows: Row[] = [];
  const initSeed = Number(values['init-seed']);
  const teachers: TransformerSentimentModel[] = [];

  // The students' labeled part and early-stopping slice, and their transfer set, are the same for
  // every seed: the ensemble labels it once (the first student's labeling is reused).
  const { train: labeled, test: validation } = stratifiedSplit(train, 0.1, initSeed, (d) => d.label);
  let ensembleLabels: { probabilities: [number, number, number][]; seconds: number } | undefined;

  /** Distils a student from the teachers' ensemble, scores it, and saves it as `name` with --save. */
  const distil = async (
    ensemble: TransformerSentimentModel[],
    seed: number,
    name: string,
    label: string,
  ): Promise<Row> => {
    const t0 = Date.now();
    const distilled = await distillStudent(
      tf,
      {
        teachers: ensemble,
        labeled,
        validation,
        augment: { ...(JSON.parse(values.augment) as object), seed: initSeed + 1 },
        hyperparameters: { ...(JSON.parse(values['student-hp']) as object), seed },
        teacherProbabilities: ensembleLabels?.probabilities,
      },
      (p) => {
        if (p.stage === 'epoch')
          log(
            `    ${name} epoch ${p.progress.epoch}/${p.progress.epochs}: loss ${p.progress.loss.toFixed(4)} val_acc ${p.progress.valAccuracy.toFixed(4)} val_macro_f1 ${p.progress.valMacroF1.toFixed(4)} (${Math.round(p.progress.samplesPerSecond)}/s)`,
          );
        else if (p.stage !== 'labeling-progress') log(`    ${name} ${p.stage}: ${p.message}`);
      },
    );
    // A reused labeling counts in every student's training time, as if each had labeled.
    const seconds = (Date.now() - t0) / 1000 + (ensembleLabels?.seconds ?? 0);
    ensembleLabels ??= { probabilities: distilled.teacherProbabilities, seconds: distilled.labelingSeconds };
    const report = distilled.student.evaluate(test);
    const result = row(label, seed, report, {
      trainSeconds: seconds,
      sentencesPerSecond: inferenceThroughput(distilled.student, testTexts),
      epochs: distilled.epochs,
      teacherAgreement: distilled.teacherAgreement,
    });
    if (values.save)
      await writeArtifact(
        join(values.save, name),
        await distilled.student.toArtifact(
          {
            metrics: {
              ...confusionRates(report),
              accuracy: report.accuracy,
              macro_f1: report.macroF1,
              train_seconds: seconds,
              teacher_agreement: distilled.teacherAgreement,
              sentences_per_second: result.sentencesPerSecond,
            },
            backend,
            createdAt: new Date().toISOString(),
          },
          { weightDtype: 'float16' },
        ),
      );
    distilled.student.dispose();
    return result;
  };

  for (const seed of seeds) {
    if (models.has('tfidf')) {
      const t0 = Date.now();
      const baseline = LinearTextBaseline.fit(train, { seed });
      const seconds = (Date.now() - t0) / 1000;
      const report = classificationReport(
        test.map((d) => d.label),
        baseline.predictLabels(testTexts),
        [...SENTIMENT_LABELS],
      );
      const s0 = performance.now();
      baseline.predictLabels(testTexts);
      rows.push(
        row('tf-idf linear', seed, report, {
          trainSeconds: seconds,
          sentencesPerSecond: test.length / ((performance.now() - s0) / 1000),
        }),
      );
    }
    if (models.has('cnn')) {
      const t0 = Date.now();
      const hp = { ...DEFAULT_SENTIMENT_HP, seed };
      const tokenizer = Tokenizer.fit(
        train.map((d) => d.text),
        { maxVocab: hp.maxVocab, minCount: hp.minCount, maxLength: hp.maxLength },
      );
      const cnn = SentimentModel.create(tf, tokenizer, hp);
      const fit = await cnn.fit(train);
      rows.push(
        row('cnn (labels only)', seed, cnn.evaluate(test), {
          trainSeconds: (Date.now() - t0) / 1000,
          sentencesPerSecond: inferenceThroughput(cnn, testTexts),
          epochs: fit.epochs,
        }),
      );
      cnn.dispose();
    }
    let teacher: TransformerSentimentModel | undefined;
    const savedTeacher = saved(`teacher-${seed}`);
    if (models.has('transformer') && savedTeacher) {
      const artifact = await readArtifact(savedTeacher);
      teacher = await TransformerSentimentModel.fromArtifact(tf, artifact);
      rows.push(
        row('transformer (teacher)', seed, teacher.evaluate(test), {
          trainSeconds: Number(artifact.manifest.metrics.train_seconds ?? NaN),
          sentencesPerSecond: inferenceThroughput(teacher, testTexts),
        }),
      );
    } else if (models.has('transformer') && encoderDir) {
      const t0 = Date.now();
      const encoder = await loadPretrainedEncoder(encoderDir);
      teacher = TransformerSentimentModel.fromPretrained(tf, encoder, {
        ...(JSON.parse(values['teacher-hp']) as object),
        seed: initSeed,
        dataSeed: seed,
      });
      const fit = await teacher.fit(train, {
        onEpoch: (p) =>
          log(
            `    teacher epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)} val_acc ${p.valAccuracy.toFixed(4)} val_macro_f1 ${p.valMacroF1.toFixed(4)} (${Math.round(p.samplesPerSecond)}/s)`,
          ),
      });
      const seconds = (Date.now() - t0) / 1000;
      rows.push(
        row('transformer (teacher)', seed, teacher.evaluate(test), {
          trainSeconds: seconds,
          sentencesPerSecond: inferenceThroughput(teacher, testTexts),
          epochs: fit.epochs,
        }),
      );
      if (values.save)
        await writeArtifact(
          join(values.save, `teacher-${seed}`),
          await teacher.toArtifact({
            metrics: { train_seconds: seconds },
            backend,
            createdAt: new Date().toISOString(),
          }),
        );
    }
    if (teacher) teachers.push(teacher);
  }
  const studentLabel = `student (cnn from ${teachers.length === 1 ? 'the teacher' : `the ensemble of ${teachers.length}`})`;
  if (teachers.length > 1) {
    // Its speed is that of scoring the test set once (every teacher at batch 64).
    const s0 = performance.now();
    const report = evaluateEnsemble(teachers, test);
    rows.push(
      row(`transformer ensemble of ${teachers.length}`, initSeed, report, {
        trainSeconds: rows
          .filter((r) => r.model === 'transformer (teacher)')
          .reduce((sum, r) => sum + r.trainSeconds, 0),
        sentencesPerSecond: test.length / ((performance.now() - s0) / 1000),
      }),
    );
  }
  for (const seed of seeds) {
    const savedStudent = saved(`student-${seed}`);
    if (models.has('student') && savedStudent) {
      const artifact = await readArtifact(savedStudent);
      const student = await SentimentModel.fromArtifact(tf, artifact);
      rows.push(
        row(studentLabel, seed, student.evaluate(test), {
          trainSeconds: Number(artifact.manifest.metrics.train_seconds ?? NaN),
          sentencesPerSecond: inferenceThroughput(student, testTexts),
        }),
      );
      student.dispose();
    } else if (models.has('student') && teachers.length > 0) {
      rows.push(await distil(teachers, seed, `student-${seed}`, studentLabel));
    }
  }
  if (teachers.length > 1) {
    // The soup: one model, the mean of the seeds' teachers' weights (same head initialization),
    // for comparison with their ensemble (it serves at the speed of one teacher).
    const [first, ...rest] = teachers as [TransformerSentimentModel, ...TransformerSentimentModel[]];
    first.averageWith(rest);
    rows.push(
      row(`transformer soup of ${teachers.length}`, initSeed, first.evaluate(test), {
        trainSeconds: rows
          .filter((r) => r.model === 'transformer (teacher)')
          .reduce((sum, r) => sum + r.trainSeconds, 0),
        sentencesPerSecond: inferenceThroughput(first, testTexts),
      }),
    );
    if (values.save)
      await writeArtifact(
        join(values.save, 'teacher-soup'),
        await first.toArtifact({ metrics: {}, backend, createdAt: new Date().toISOString() }),
      );
  }
  teachers.forEach((t) => t.dispose());

  const summary = summarize(rows);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ backend, train: train.length, test: test.length, rows, summary }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(
      `TFNS: train ${train.length}, test ${test.length} (sent_valid.csv), backend ${backend}\n`,
    );
    console.table(
      rows.map((r) => ({
        ...r,
        accuracy: r.accuracy.toFixed(4),
        macroF1: r.macroF1.toFixed(4),
        trainSeconds: Math.round(r.trainSeconds),
        sentencesPerSecond: Math.round(r.sentencesPerSecond),
        teacherAgreement: r.teacherAgreement?.toFixed(4),
      })),
    );
    process.stdout.write('mean ± standard deviation [min, max] over seeds\n');
    console.table(summary);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
