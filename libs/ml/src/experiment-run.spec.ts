import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readArtifact } from './artifact';
import {
  decodeMetricValue,
  encodeMetricValue,
  openRunEvents,
  progressPoints,
  readRunFile,
  RUN_EVENTS_DIR,
  RunLog,
  writeRunFile,
} from './experiment-run';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'experiment-run-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const at = new Date('2026-01-01T00:00:00Z');

describe('metric values', () => {
  it('keep NaN and the infinities through JSON by name', () => {
    const values = [0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    const json = JSON.parse(JSON.stringify(values.map(encodeMetricValue))) as ReturnType<
      typeof encodeMetricValue
    >[];
    expect(json).toEqual([0.5, 'NaN', 'Infinity', '-Infinity']);
    expect(json.map(decodeMetricValue)).toEqual(values);
  });
});

describe('progressPoints', () => {
  it('names epoch, step and labeling series by their axis and skips text messages', () => {
    expect(
      progressPoints(
        {
          stage: 'epoch',
          phase: 'train',
          epoch: 2,
          epochs: 5,
          loss: Number.NaN,
          valMacroF1: 0.7,
          samplesPerSecond: 100,
        },
        at,
      ),
    ).toEqual([
      { name: 'epoch/loss', step: 2, value: Number.NaN, at: at.toISOString() },
      { name: 'epoch/val_macro_f1', step: 2, value: 0.7, at: at.toISOString() },
      { name: 'epoch/samples_per_second', step: 2, value: 100, at: at.toISOString() },
    ]);
    expect(
      progressPoints(
        { stage: 'step', phase: 'train', step: 7, steps: 10, learningRate: 0.001, samplesPerSecond: 50 },
        at,
      ).map((p) => p.name),
    ).toEqual(['step/learning_rate', 'step/samples_per_second']);
    expect(
      progressPoints({ stage: 'step', phase: 'label', step: 3, steps: 9, samplesPerSecond: 20 }, at).map(
        (p) => p.name,
      ),
    ).toEqual(['labeling/sentences_per_second']);
    expect(progressPoints({ stage: 'training', message: 'x' }, at)).toEqual([]);
    expect(progressPoints({ stage: 'params', params: { a: 1 } }, at)).toEqual([]);
  });
});

describe('RunLog and run.json', () => {
  it('records a failed run with its parameters and its curves up to the failure', async () => {
    const log = new RunLog('run-1', { model: 'm', kind: 'sentiment', architecture: 'cnn', tags: ['t'] });
    log.observe({ stage: 'params', params: { hyperparameters: { epochs: 3 } } }, at);
    log.observe({ stage: 'epoch', phase: 'train', epoch: 1, epochs: 3, loss: 1, samplesPerSecond: 9 }, at);
    log.observe(
      {
        stage: 'epoch',
        phase: 'train',
        epoch: 2,
        epochs: 3,
        loss: Number.POSITIVE_INFINITY,
        samplesPerSecond: 9,
      },
      at,
    );
    const record = log.record({ status: 'failed', error: 'diverged' });
    expect(record).toMatchObject({
      format: 'mercato-run/1',
      runId: 'run-1',
      source: 'offline',
      status: 'failed',
      error: 'diverged',
      params: { hyperparameters: { epochs: 3 } },
      metrics: {},
    });
    expect(record.series['epoch/loss']?.map((p) => p.value)).toEqual([1, 'Infinity']);

    const dir = tempDir();
    await writeRunFile(dir, record);
    expect(await readRunFile(dir)).toEqual(record);
  });

  it('refuses a file that is not a run record, naming the file', async () => {
    const dir = tempDir();
    await expect(readRunFile(dir)).rejects.toThrow(/run\.json: cannot read the run record \(ENOENT\)/);
    writeFileSync(join(dir, 'run.json'), '{"format":"other"}');
    await expect(readRunFile(dir)).rejects.toThrow(/not a Mercato run record/);
  });

  it('is not part of the model folder it sits in', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'model.json'), '{}');
    writeFileSync(join(dir, 'manifest.json'), '{}');
    await writeRunFile(
      dir,
      new RunLog('r', { model: 'm', kind: 'sentiment' }).record({ status: 'cancelled', error: 'x' }),
    );
    expect((await readArtifact(dir)).files.map((f) => f.path).sort()).toEqual([
      'manifest.json',
      'model.json',
    ]);
  });
});

describe('openRunEvents', () => {
  it('writes TensorBoard event files with tfjs-node’s summary writer', async () => {
    const dir = join(tempDir(), RUN_EVENTS_DIR);
    const events = await openRunEvents(dir, 'tensorflow');
    if ('unavailable' in events) throw new Error(events.unavailable);
    events.write([
      { name: 'epoch/loss', step: 1, value: 0.9, at: at.toISOString() },
      { name: 'epoch/loss', step: 2, value: Number.NaN, at: at.toISOString() },
    ]);
    events.writeFinal({ accuracy: 0.8 }, 2);
    events.flush();
    const files = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(files).toHaveLength(1);
    // TFRecord frames of Event protos: each scalar's tag is in them as written.
    const bytes = readFileSync(join(dir, files[0] as string));
    expect(bytes.includes('epoch/loss')).toBe(true);
    expect(bytes.includes('final/accuracy')).toBe(true);
  });
});
