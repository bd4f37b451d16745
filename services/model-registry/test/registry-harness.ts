// Test helpers: the registry as a real process (the built dist/, on the real broker and a fresh
// database), a tiny HTTP client, and real TF.js LayersModel artifacts (model.json + float32 shards).
import { REPO_ROOT, requireEnv, freePort } from '@mercato/dev-stack';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';

export const MAIN = join(REPO_ROOT, 'dist/services/model-registry/src/main.js');

export { freePort };

export interface RegistryProcess {
  url: string;
  child: ChildProcess;
  exit: Promise<number | null>;
  output(): string;
  stop(): Promise<number | null>;
}

/** Spawns the service and resolves once it is ready (or rejects with its output if it exits). */
export async function startRegistry(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<RegistryProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
      OUTBOX_POLL_MS: '200',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const proc: RegistryProcess = {
    url,
    child,
    exit,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
  const deadline = Date.now() + 60_000;
  let exited = false;
  void exit.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`model-registry exited early (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/healthz/ready`)).ok) return proc;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  child.kill('SIGKILL');
  throw new Error(`model-registry not ready after 60 s:\n${output}`);
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  bytes: Buffer;
}

/** `headers`: sent on every call (a spec with AUTH_MODE=required passes its key here). */
export function api(baseUrl: string, headers: Record<string, string> = {}) {
  const call = async <T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    let parsed: unknown = bytes;
    if (type.includes('json')) {
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        parsed = bytes;
      }
    }
    return { status: res.status, body: parsed as T, headers: res.headers, bytes };
  };
  return {
    get: <T = any>(path: string) => call<T>('GET', path),
    post: <T = any>(path: string, body: unknown) => call<T>('POST', path, body),
  };
}

export interface ArtifactFiles {
  files: { path: string; contentBase64: string }[];
  bytes: Map<string, Buffer>;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

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
