// Model artifacts: TF.js LayersModel files (model.json + weight shards) plus a manifest with the
// tokenizer, label map, metrics and lineage — kept in memory as files so the same bytes go to the
// registry, to a folder (--offline), or into a serving process.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, relative, sep } from 'node:path';
import type { TF } from './backend';
import { RUN_EVENTS_DIR, RUN_FILE } from './experiment-run';
import type { TokenizerJSON } from './tokenizer';

export const MANIFEST_FILE = 'manifest.json';
export const MODEL_FILE = 'model.json';

export type ModelKindName = 'sentiment' | 'recommender';

export interface ModelManifest {
  format: 'mercato-model/v1';
  kind: ModelKindName;
  labels?: string[];
  tokenizer?: TokenizerJSON;
  metrics: Record<string, number>;
  hyperparameters: Record<string, number | string | boolean>;
  backend: string;
  createdAt: string;
  /** Kind-specific data (e.g. the recommender's user and item id maps). */
  extra?: Record<string, unknown>;
}

export interface ArtifactFile {
  path: string;
  bytes: Uint8Array;
}

export interface ModelArtifact {
  manifest: ModelManifest;
  files: ArtifactFile[];
}

type LayersModel = import('@tensorflow/tfjs').LayersModel;

export interface PackOptions {
  /**
   * 'float16' stores float32 weights as IEEE half floats (TF.js quantization, widened again on
   * load): half the bytes, and a relative error below 1e-3 that no classification here notices.
   */
  weightDtype?: 'float32' | 'float16';
}

/** float32 -> IEEE 754 binary16 bits, rounding to nearest even (overflow saturates to infinity). */
export function toHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  // A carry out of the mantissa bumps the exponent, up to infinity: that is the right rounding.
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

const ELEMENT_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

function halveWeights(
  specs: import('@tensorflow/tfjs').io.WeightsManifestEntry[],
  data: Uint8Array,
): { specs: import('@tensorflow/tfjs').io.WeightsManifestEntry[]; data: Uint8Array } {
  const out: Buffer[] = [];
  let offset = 0;
  const halved = specs.map((spec) => {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = count * (ELEMENT_BYTES[spec.dtype] ?? 4);
    const slice = data.subarray(offset, offset + bytes);
    offset += bytes;
    if (spec.dtype !== 'float32' || spec.quantization) {
      out.push(Buffer.from(slice));
      return spec;
    }
    const floats = new Float32Array(new Uint8Array(slice).buffer);
    const halves = new Uint16Array(count);
    for (let i = 0; i < count; i++) halves[i] = toHalf(floats[i] as number);
    out.push(Buffer.from(halves.buffer));
    return { ...spec, quantization: { dtype: 'float16' as const } };
  });
  if (offset !== data.byteLength)
    throw new Error(`weights hold ${data.byteLength} bytes, specs describe ${offset}`);
  return { specs: halved, data: Buffer.concat(out) };
}

/** Serializes a LayersModel into model.json + one weights shard, and adds the manifest. */
export async function packModel(
  tf: TF,
  model: LayersModel,
  manifest: ModelManifest,
  options: PackOptions = {},
): Promise<ModelArtifact> {
  let captured: import('@tensorflow/tfjs').io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.weightData || !captured.weightSpecs) throw new Error('model produced no weights');
  const weightData = captured.weightData;
  let weights: Uint8Array = new Uint8Array(
    Array.isArray(weightData)
      ? Buffer.concat(weightData.map((b) => Buffer.from(b)))
      : Buffer.from(weightData),
  );
  let specs = captured.weightSpecs;
  if (options.weightDtype === 'float16') ({ specs, data: weights } = halveWeights(specs, weights));
  const modelJson = {
    format: 'layers-model',
    generatedBy: captured.generatedBy,
    convertedBy: null,
    modelTopology: captured.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  return {
    manifest,
    files: [
      { path: MODEL_FILE, bytes: Buffer.from(JSON.stringify(modelJson)) },
      { path: 'weights.bin', bytes: weights },
      { path: MANIFEST_FILE, bytes: Buffer.from(JSON.stringify(manifest, null, 2)) },
    ],
  };
}

/** A path inside an artifact: relative, normalized, never escaping the artifact's folder. */
export function safeArtifactPath(path: string): string {
  if (!path || path.includes('\0') || path.includes('\\') || path.startsWith('/'))
    throw new Error(`unsafe artifact path "${path}"`);
  const clean = normalize(path);
  if (clean.startsWith('..') || clean.split(sep).includes('..') || clean === '.')
    throw new Error(`artifact path "${path}" escapes its folder`);
  return clean;
}

function fileOf(artifact: { files: ArtifactFile[] }, path: string): Uint8Array {
  const file = artifact.files.find((f) => f.path === path);
  if (!file) throw new Error(`artifact has no ${path}`);
  return file.bytes;
}

/** Loads the LayersModel of an artifact from memory (weights resolved by the manifest's paths). */
export async function unpackModel(tf: TF, artifact: { files: ArtifactFile[] }): Promise<LayersModel> {
  const modelJson = JSON.parse(Buffer.from(fileOf(artifact, MODEL_FILE)).toString('utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }[];
  };
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const buffers = modelJson.weightsManifest.flatMap((g) =>
    g.paths.map((p) => Buffer.from(fileOf(artifact, safeArtifactPath(p)))),
  );
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData }),
  );
}

export function readManifest(artifact: { files: ArtifactFile[] }): ModelManifest {
  return JSON.parse(Buffer.from(fileOf(artifact, MANIFEST_FILE)).toString('utf8')) as ModelManifest;
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export async function writeArtifact(dir: string, artifact: ModelArtifact): Promise<void> {
  for (const file of artifact.files) {
    const target = join(dir, safeArtifactPath(file.path));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.bytes);
  }
}

/** A model folder's files; the run record an offline run leaves beside them is not part of the model. */
export async function readArtifact(dir: string): Promise<ModelArtifact> {
  const files: ArtifactFile[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (d === dir && (entry.name === RUN_FILE || entry.name === RUN_EVENTS_DIR)) continue;
      if (entry.isDirectory()) await walk(p);
      else files.push({ path: relative(dir, p), bytes: await readFile(p) });
    }
  };
  await walk(dir);
  return { files, manifest: readManifest({ files }) };
}
