// Model registry artifacts for tests of the registry and of the services that read it: a real,
// small TF.js LayersModel with its manifest, and the lineage a registration needs.
import { randomBytes } from 'node:crypto';

export interface ArtifactFiles {
  files: { path: string; contentBase64: string }[];
  bytes: Map<string, Buffer>;
}

/**
 * A real TF.js LayersModel artifact: a Dense(inputs → 3, softmax) classifier whose kernel and bias
 * are float32 values split over `shards` files, with a manifest (tokenizer, vocab, labels, metrics).
 * `seed` varies the weights so different versions have different bytes.
 */
export function tfjsArtifact(
  opts: {
    inputs?: number;
    shards?: number;
    seed?: number;
    metrics?: Record<string, number>;
    random?: boolean;
  } = {},
): ArtifactFiles {
  const inputs = opts.inputs ?? 8;
  const shards = opts.shards ?? 2;
  const seed = opts.seed ?? 1;
  const weights = opts.random
    ? randomBytes((inputs * 3 + 3) * 4)
    : Buffer.concat([
        Buffer.from(new Float32Array(inputs * 3).map((_, i) => Math.sin(seed * 1000 + i)).buffer),
        Buffer.from(new Float32Array(3).map((_, i) => Math.cos(seed + i)).buffer),
      ]);
  const shardSize = Math.ceil(weights.length / shards);
  const shardNames = Array.from({ length: shards }, (_, i) => `group1-shard${i + 1}of${shards}.bin`);
  const model = {
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'sentiment',
        layers: [
          {
            class_name: 'Dense',
            config: {
              units: 3,
              activation: 'softmax',
              use_bias: true,
              name: 'dense_1',
              batch_input_shape: [null, inputs],
            },
          },
        ],
      },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [
      {
        paths: shardNames,
        weights: [
          { name: 'dense_1/kernel', shape: [inputs, 3], dtype: 'float32' },
          { name: 'dense_1/bias', shape: [3], dtype: 'float32' },
        ],
      },
    ],
  };
  const manifest = {
    tokenizer: { type: 'wordpiece', lowercase: true, version: '1' },
    vocab: ['[PAD]', '[UNK]', 'profit', 'loss', 'up', 'down', 'beat', 'miss'].slice(0, Math.min(inputs, 8)),
    labels: { 0: 'negative', 1: 'neutral', 2: 'positive' },
    metrics: opts.metrics ?? {},
  };
  const bytes = new Map<string, Buffer>();
  bytes.set('model.json', Buffer.from(JSON.stringify(model)));
  shardNames.forEach((name, i) => bytes.set(name, weights.subarray(i * shardSize, (i + 1) * shardSize)));
  bytes.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
  return {
    bytes,
    files: [...bytes].map(([path, b]) => ({ path, contentBase64: b.toString('base64') })),
  };
}

export const lineage = (extra: Record<string, unknown> = {}) => ({
  datasetHash: 'sha256:6f1ed002ab5595859014ebf0951522d9',
  codeVersion: 'git:52ebbe3',
  backend: 'tensorflow',
  hyperparameters: { epochs: 3, learningRate: 0.001, optimizer: 'adam' },
  ...extra,
});
