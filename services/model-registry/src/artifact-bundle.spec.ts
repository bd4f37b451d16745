import { describe, expect, it } from 'vitest';
import { checkBundle, type BundleFile } from './artifact-bundle';

const json = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));

function modelJson(
  groups: { paths: string[]; weights: { shape: number[]; dtype: string; quantization?: object }[] }[],
) {
  return json({
    format: 'layers-model',
    modelTopology: { class_name: 'Sequential', config: { layers: [] } },
    weightsManifest: groups.map((g) => ({
      paths: g.paths,
      weights: g.weights.map((w, i) => ({ name: `w${i}`, ...w })),
    })),
  });
}

const manifest: BundleFile = {
  path: 'manifest.json',
  size: 2,
  content: json({ labels: ['neg', 'neu', 'pos'] }),
};

describe('checkBundle', () => {
  it('accepts a complete TF.js artifact and assigns roles', () => {
    const model = modelJson([
      {
        paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
        weights: [
          { shape: [4, 3], dtype: 'float32' },
          { shape: [3], dtype: 'float32' },
        ],
      },
    ]);
    const { issues, roles } = checkBundle([
      { path: 'model.json', size: model.length, content: model },
      { path: 'group1-shard1of2.bin', size: 40 },
      { path: 'group1-shard2of2.bin', size: 20 },
      manifest,
      { path: 'assets/vocab.txt', size: 10 },
    ]);
    expect(issues).toEqual([]);
    expect(Object.fromEntries(roles)).toEqual({
      'model.json': 'model',
      'group1-shard1of2.bin': 'weights',
      'group1-shard2of2.bin': 'weights',
      'manifest.json': 'manifest',
      'assets/vocab.txt': 'other',
    });
  });

  it('requires model.json and manifest.json', () => {
    const { issues } = checkBundle([{ path: 'w.bin', size: 4 }]);
    expect(issues.map((i) => i.reason)).toEqual([
      expect.stringContaining('manifest.json is required'),
      expect.stringContaining('model.json (the TF.js model topology and weights manifest) is required'),
    ]);
  });

  it('names every weight file model.json references but the upload lacks', () => {
    const model = modelJson([{ paths: ['a.bin', 'b.bin'], weights: [{ shape: [2], dtype: 'float32' }] }]);
    const { issues } = checkBundle([
      { path: 'model.json', size: 1, content: model },
      manifest,
      { path: 'a.bin', size: 8 },
    ]);
    expect(issues).toEqual([
      { field: 'files', reason: 'weight file "b.bin" named by model.json is not uploaded' },
    ]);
  });

  it('checks that shard sizes add up to the declared weights (quantized ones in their stored dtype)', () => {
    const model = modelJson([
      {
        paths: ['w.bin'],
        weights: [
          { shape: [10], dtype: 'float32', quantization: { dtype: 'uint8' } },
          { shape: [2, 2], dtype: 'int32' },
        ],
      },
    ]);
    const ok = checkBundle([
      { path: 'model.json', size: 1, content: model },
      manifest,
      { path: 'w.bin', size: 26 },
    ]);
    expect(ok.issues).toEqual([]);
    const truncated = checkBundle([
      { path: 'model.json', size: 1, content: model },
      manifest,
      { path: 'w.bin', size: 25 },
    ]);
    expect(truncated.issues[0].reason).toBe(
      'model.json weightsManifest[0] declares 26 bytes of weights but its shards hold 25 bytes',
    );
    const strings = modelJson([{ paths: ['s.bin'], weights: [{ shape: [3], dtype: 'string' }] }]);
    expect(
      checkBundle([{ path: 'model.json', size: 1, content: strings }, manifest, { path: 's.bin', size: 99 }])
        .issues,
    ).toEqual([]);
  });

  it('refuses weight references that leave the artifact folder', () => {
    const model = modelJson([{ paths: ['../../etc/shadow'], weights: [] }]);
    const { issues } = checkBundle([{ path: 'model.json', size: 1, content: model }, manifest]);
    expect(issues[0].reason).toContain('names "../../etc/shadow", which is not a path inside the artifact');
  });

  it('refuses malformed JSON, non-models and duplicates', () => {
    const bad = checkBundle([
      { path: 'model.json', size: 1, content: Buffer.from('{nope') },
      { path: 'manifest.json', size: 1, content: json([1, 2]) },
    ]);
    expect(bad.issues.map((i) => i.reason)).toEqual([
      'manifest.json must be a JSON object',
      expect.stringContaining('model.json is not valid JSON'),
    ]);
    expect(
      checkBundle([{ path: 'model.json', size: 1, content: json({ a: 1 }) }, manifest]).issues[0].reason,
    ).toContain('modelTopology');
    const dup = checkBundle([manifest, manifest]);
    expect(dup.issues[0]).toEqual({ field: 'files[1].path', reason: '"manifest.json" is uploaded twice' });
  });
});
