// Sentiment benchmark on TFNS (Twitter Financial News Sentiment): trains on sent_train.csv, evaluates
// on sent_valid.csv, and prints accuracy / macro-F1 for the bag-of-words baseline, the classifier
// trained from scratch, and the classifier fine-tuned from self-supervised pretraining, with
// training time and sentences/s scored.
// Usage: node dist/bench/sentiment.js [--data ../shared/data/tfns] [--backend auto|tensorflow|cpu] [--json]
import {
  BagOfWordsBaseline,
  DEFAULT_PRETRAIN_HP,
  DEFAULT_SENTIMENT_HP,
  PretrainedEmbeddings,
  SentimentModel,
  Tokenizer,
  classificationReport,
  parseLabelMap,
  readTextLabelCsv,
  selectBackend,
  SENTIMENT_LABELS,
  type BackendPreference,
} from '@mercato/ml';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(__dirname, '../../../shared/data/tfns') },
    backend: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
    'skip-pretrain': { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const { tf, name: backend } = await selectBackend(values.backend as BackendPreference);
  const labelMap = parseLabelMap('0=negative,1=positive,2=neutral');
  const train = readTextLabelCsv(join(values.data, 'sent_train.csv'), labelMap);
  const test = readTextLabelCsv(join(values.data, 'sent_valid.csv'), labelMap);
  const rows: Record<string, number | string>[] = [];
  const log = (msg: string): void => {
    if (!values.json) process.stderr.write(`${msg}\n`);
  };
  log(`backend ${backend}; ${train.length} training and ${test.length} test sentences`);

  let t0 = Date.now();
  const baseline = new BagOfWordsBaseline(tf);
  await baseline.fit(train);
  const baseSeconds = (Date.now() - t0) / 1000;
  const baseReport = classificationReport(
    test.map((d) => d.label),
    baseline.predict(test.map((d) => d.text)),
    [...SENTIMENT_LABELS],
  );
  rows.push({
    model: 'bag-of-words logistic regression',
    accuracy: baseReport.accuracy,
    macroF1: baseReport.macroF1,
    trainSeconds: baseSeconds,
  });

  const hp = DEFAULT_SENTIMENT_HP;
  const tokenizer = Tokenizer.fit(
    train.map((d) => d.text),
    { maxVocab: hp.maxVocab, minCount: hp.minCount, maxLength: hp.maxLength },
  );
  t0 = Date.now();
  const scratch = SentimentModel.create(tf, tokenizer, hp);
  const fit = await scratch.fit(train, (p) =>
    log(
      `  scratch epoch ${p.epoch}: loss ${p.loss.toFixed(3)} val_acc ${p.valAccuracy.toFixed(3)} (${Math.round(p.samplesPerSecond)} samples/s)`,
    ),
  );
  const scratchSeconds = (Date.now() - t0) / 1000;
  const scratchReport = scratch.evaluate(test);
  t0 = Date.now();
  const scored = scratch.predict([...test, ...test, ...test].map((d) => d.text));
  const scoreRate = scored.length / ((Date.now() - t0) / 1000);
  rows.push({
    model: 'cnn from scratch',
    accuracy: scratchReport.accuracy,
    macroF1: scratchReport.macroF1,
    trainSeconds: scratchSeconds,
    epochs: fit.epochs,
    sentencesPerSecondScored: Math.round(scoreRate),
  });

  if (!values['skip-pretrain']) {
    // Pretraining sees only text, never labels: the training sentences plus the test sentences'
    // text would leak nothing, but we keep to the training text to stay conservative.
    t0 = Date.now();
    const embeddings = await PretrainedEmbeddings.train(
      tf,
      train.map((d) => d.text),
      tokenizer,
      { ...DEFAULT_PRETRAIN_HP, embeddingDim: hp.embeddingDim },
      (p) =>
        log(
          `  pretrain epoch ${p.epoch}: loss ${p.loss.toFixed(3)} (${Math.round(p.pairsPerSecond)} pairs/s)`,
        ),
    );
    const pretrainSeconds = (Date.now() - t0) / 1000;
    log(`  nearest to "bearish": ${embeddings.nearest('bearish').join(', ')}`);
    t0 = Date.now();
    const tuned = SentimentModel.create(tf, tokenizer, hp, embeddings.matrix);
    const tunedFit = await tuned.fit(train, (p) =>
      log(`  fine-tune epoch ${p.epoch}: loss ${p.loss.toFixed(3)} val_acc ${p.valAccuracy.toFixed(3)}`),
    );
    const tuneSeconds = (Date.now() - t0) / 1000;
    const tunedReport = tuned.evaluate(test);
    rows.push({
      model: 'cnn pretrained + fine-tuned',
      accuracy: tunedReport.accuracy,
      macroF1: tunedReport.macroF1,
      trainSeconds: pretrainSeconds + tuneSeconds,
      pretrainSeconds,
      epochs: tunedFit.epochs,
    });
  }

  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ backend, train: train.length, test: test.length, rows }, null, 2)}\n`,
    );
  } else {
    console.table(
      rows.map((r) => ({
        ...r,
        accuracy: Number(r.accuracy).toFixed(4),
        macroF1: Number(r.macroF1).toFixed(4),
        trainSeconds: Number(r.trainSeconds).toFixed(1),
      })),
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
