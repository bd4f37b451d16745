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
      pretrainPath: undefined,
      itemsPath: undefined,
    });
    expect(parseDatasetRef(train)).toMatchObject({ type: 'file', path: train });
  });

  it('reads synthetic references', () => {
    expect(parseDatasetRef('synthetic:news?seed=3&count=500')).toEqual({
      type: 'synthetic',
      dataset: 'news',
      seed: 3,
      count: 500,
    });
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
