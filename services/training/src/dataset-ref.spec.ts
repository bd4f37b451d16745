import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDatasetRef } from './dataset-ref';

const dir = mkdtempSync(join(tmpdir(), 'ref-'));
const train = join(dir, 'train.csv');
writeFileSync(train, 'text,label\n');

describe('parseDatasetRef', () => {
  it('reads file references with options', () => {
    expect(
      parseDatasetRef(`file://${train}?labelMap=0%3Dnegative,1%3Dpositive,2%3Dneutral&testSplit=0.25`),
    ).toEqual({
      type: 'file',
      path: train,
      labelMap: '0=negative,1=positive,2=neutral',
      testSplit: 0.25,
      testPath: undefined,
      unlabeledPath: undefined,
      itemsPath: undefined,
      format: undefined,
      encoding: undefined,
    });
    expect(parseDatasetRef(train)).toMatchObject({ type: 'file', path: train });
    expect(parseDatasetRef(`file://${train}?format=phrasebank&encoding=latin-1`)).toMatchObject({
      format: 'phrasebank',
      encoding: 'latin1',
    });
    expect(() => parseDatasetRef(`file://${train}?format=xml`)).toThrow(
      /dataset_ref format xml: expected csv/,
    );
    expect(() => parseDatasetRef(`file://${train}?encoding=utf-16`)).toThrow(/dataset_ref encoding utf-16/);
  });

  it('reads synthetic references', () => {
    expect(parseDatasetRef('synthetic:news?seed=3&count=500')).toEqual({
      type: 'synthetic',
      dataset: 'news',
      seed: 3,
      count: 500,
    });
  });

  it('reads recommender file and feature references', () => {
    expect(parseDatasetRef(`file:${train}?items=${train}&split=leave-last-out`)).toMatchObject({
      type: 'file',
      path: train,
      itemsPath: train,
      split: 'leave-last-out',
    });
    expect(
      parseDatasetRef('feature:interactions?as_of=2026-03-01T00:00:00Z&split_at=2026-02-28T00:00:00.000Z'),
    ).toEqual({
      type: 'feature',
      dataset: 'interactions',
      asOf: '2026-03-01T00:00:00.000Z',
      splitAt: '2026-02-28T00:00:00.000Z',
    });
    expect(parseDatasetRef('feature:interactions')).toEqual({
      type: 'feature',
      dataset: 'interactions',
      asOf: undefined,
      splitAt: undefined,
    });
    expect(() => parseDatasetRef('feature:items')).toThrow(/unknown feature dataset/);
    expect(() => parseDatasetRef('feature:interactions?as_of=yesterday')).toThrow(/ISO-8601/);
    expect(() =>
      parseDatasetRef('feature:interactions?as_of=2026-03-01T00:00:00Z&split_at=2026-03-02T00:00:00Z'),
    ).toThrow(/split_at must not be after as_of/);
    expect(() => parseDatasetRef(`${train}?split=sideways`)).toThrow(/split/);
  });

  it('rejects what can never work, as non-retriable errors', () => {
    expect(() => parseDatasetRef('')).toThrow(/empty/);
    expect(() => parseDatasetRef('/no/such/file.csv')).toThrow(/does not exist/);
    expect(() => parseDatasetRef(`${train}?testSplit=2`)).toThrow(/testSplit/);
    expect(() => parseDatasetRef('synthetic:movies')).toThrow(/unknown synthetic/);
    try {
      parseDatasetRef('');
    } catch (err) {
      expect((err as Error).name).toBe('NonRetriableError');
    }
  });
});
