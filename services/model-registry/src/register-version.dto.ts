// The registration request: metrics, lineage, an idempotency key and the artifact files as base64.
// Paths and encodings are checked here; whether the files form a complete model is artifact-bundle's.
import { z } from '@mercato/config';
import { KEY_ID_PATTERN } from '@mercato/registry-client';
import { artifactPathProblem } from './artifact-path';
import { Metrics, ModelName } from './model.dto';

/**
 * Canonical padded base64. Checked by a native round trip, not a regex: a backtracking pattern over
 * a multi-megabyte weight shard overflows V8's regexp stack.
 */
export function isCanonicalBase64(text: string): boolean {
  return text.length % 4 === 0 && Buffer.from(text, 'base64').toString('base64') === text;
}

const ArtifactPath = z.string().superRefine((path, ctx) => {
  const problem = artifactPathProblem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const ArtifactFile = z.object({
  path: ArtifactPath,
  contentBase64: z
    .string()
    .refine(isCanonicalBase64, 'must be standard base64 (A-Z a-z 0-9 + /, padded with =)')
    .meta({ format: 'byte' }),
});

export const Lineage = z.looseObject({
  datasetHash: z.string().min(1, 'is required').max(200),
  codeVersion: z.string().min(1, 'is required').max(200),
  /** The TF.js backend the model was trained on (tensorflow, cuda, wasm, cpu). */
  backend: z.string().min(1, 'is required').max(64),
  hyperparameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** The version this one was fine-tuned from (this model or a base model in the registry). */
  parent: z
    .object({ model: ModelName, version: z.number().int().positive().max(2_147_483_647, 'is too large') })
    .optional(),
  trainingRequestId: z.string().min(1).max(200).optional(),
});
export type LineageInput = z.output<typeof Lineage>;

/** An Ed25519 signature of the files under the model's name (libs/registry-client model-signature). */
export const Signature = z.object({
  algorithm: z.literal('ed25519', { message: 'must be "ed25519"' }),
  keyId: z.string().regex(KEY_ID_PATTERN, `must match ${KEY_ID_PATTERN.source}`),
  value: z
    .string()
    .refine(
      (v) => isCanonicalBase64(v) && Buffer.from(v, 'base64').length === 64,
      'must be the 64-byte signature in standard base64',
    ),
});

export const RegisterVersionBody = z.object({
  metrics: Metrics.default({}),
  lineage: Lineage,
  /** Retrying with the same key (e.g. the training request id) returns the version already made. */
  idempotencyKey: z.string().min(1, 'is required').max(200),
  files: z.array(ArtifactFile).min(1, 'at least model.json and manifest.json').max(1_000),
  /** Stored as given: the registry holds no keys, its readers verify. */
  signature: Signature.optional(),
});
export type RegisterVersionInput = z.output<typeof RegisterVersionBody>;
