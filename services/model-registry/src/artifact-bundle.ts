// What makes a set of uploaded files a complete model artifact: a TF.js LayersModel `model.json`
// whose weightsManifest names shards that were all uploaded (and whose sizes add up to the weights
// it declares), plus a `manifest.json` object (tokenizer, vocab, label map, metrics). Pure logic.
import { resolveArtifactReference } from './artifact-path';

export const MODEL_FILE = 'model.json';
export const MANIFEST_FILE = 'manifest.json';

export type ArtifactRole = 'model' | 'weights' | 'manifest' | 'other';

export interface BundleFile {
  path: string;
  size: number;
  /** The bytes, needed for model.json and manifest.json only. */
  content?: Uint8Array;
}

export interface FieldIssue {
  field: string;
  reason: string;
}

export interface BundleCheck {
  issues: FieldIssue[];
  roles: Map<string, ArtifactRole>;
}

// Bytes per element of the dtypes TF.js writes into weight shards (quantized weights are stored in
// their quantization dtype). `string` weights have no fixed size and skip the size check.
const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
  int8: 1,
  int16: 2,
};

interface WeightSpec {
  name?: unknown;
  shape?: unknown;
  dtype?: unknown;
  quantization?: { dtype?: unknown };
}

function parseJson(content: Uint8Array | undefined): { value?: unknown; error?: string } {
  if (!content) return { error: 'is missing' };
  try {
    return { value: JSON.parse(Buffer.from(content).toString('utf8')) as unknown };
  } catch (err) {
    return { error: `is not valid JSON (${(err as Error).message})` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Bytes a weight occupies in its shard, or undefined when it cannot be known in advance. */
function weightBytes(spec: WeightSpec): number | undefined {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const per = typeof dtype === 'string' ? DTYPE_BYTES[dtype] : undefined;
  if (per === undefined || !Array.isArray(spec.shape)) return undefined;
  let elements = 1;
  for (const dim of spec.shape) {
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) return undefined;
    elements *= dim;
  }
  return elements * per;
}

export function checkBundle(files: BundleFile[]): BundleCheck {
  const issues: FieldIssue[] = [];
  const roles = new Map<string, ArtifactRole>();
  const byPath = new Map<string, BundleFile>();
  files.forEach((file, i) => {
    if (byPath.has(file.path)) {
      issues.push({ field: `files[${i}].path`, reason: `"${file.path}" is uploaded twice` });
    }
    byPath.set(file.path, file);
    roles.set(file.path, 'other');
  });

  const manifest = byPath.get(MANIFEST_FILE);
  if (!manifest) {
    issues.push({
      field: 'files',
      reason: `${MANIFEST_FILE} is required (tokenizer, vocab, label map, metrics)`,
    });
  } else {
    roles.set(MANIFEST_FILE, 'manifest');
    const parsed = parseJson(manifest.content);
    if (parsed.error)
      issues.push({ field: `files[${MANIFEST_FILE}]`, reason: `${MANIFEST_FILE} ${parsed.error}` });
    else if (!isObject(parsed.value))
      issues.push({ field: `files[${MANIFEST_FILE}]`, reason: `${MANIFEST_FILE} must be a JSON object` });
  }

  const model = byPath.get(MODEL_FILE);
  if (!model) {
    issues.push({
      field: 'files',
      reason: `${MODEL_FILE} (the TF.js model topology and weights manifest) is required`,
    });
    return { issues, roles };
  }
  roles.set(MODEL_FILE, 'model');
  const field = `files[${MODEL_FILE}]`;
  const parsed = parseJson(model.content);
  if (parsed.error) {
    issues.push({ field, reason: `${MODEL_FILE} ${parsed.error}` });
    return { issues, roles };
  }
  const doc = parsed.value;
  if (!isObject(doc) || !isObject(doc.modelTopology)) {
    issues.push({ field, reason: `${MODEL_FILE} must be a TF.js model with a modelTopology object` });
    return { issues, roles };
  }
  if (!Array.isArray(doc.weightsManifest)) {
    issues.push({ field, reason: `${MODEL_FILE} must have a weightsManifest array` });
    return { issues, roles };
  }
  doc.weightsManifest.forEach((group: unknown, g: number) => {
    const where = `${MODEL_FILE} weightsManifest[${g}]`;
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      issues.push({ field, reason: `${where} must have paths and weights arrays` });
      return;
    }
    let shardBytes = 0;
    let shardsComplete = true;
    for (const ref of group.paths as unknown[]) {
      const resolved = typeof ref === 'string' ? resolveArtifactReference(MODEL_FILE, ref) : undefined;
      if (resolved === undefined) {
        issues.push({
          field,
          reason: `${where} names ${JSON.stringify(ref)}, which is not a path inside the artifact`,
        });
        shardsComplete = false;
        continue;
      }
      const shard = byPath.get(resolved);
      if (!shard) {
        issues.push({
          field: 'files',
          reason: `weight file "${resolved}" named by ${MODEL_FILE} is not uploaded`,
        });
        shardsComplete = false;
        continue;
      }
      roles.set(resolved, 'weights');
      shardBytes += shard.size;
    }
    let declared = 0;
    for (const w of group.weights as unknown[]) {
      const bytes = isObject(w) ? weightBytes(w) : undefined;
      if (bytes === undefined) return; // a weight of unknown size: the total cannot be checked
      declared += bytes;
    }
    if (shardsComplete && declared !== shardBytes) {
      issues.push({
        field,
        reason: `${where} declares ${declared} bytes of weights but its shards hold ${shardBytes} bytes`,
      });
    }
  });
  return { issues, roles };
}
