// The response bodies of the HTTP API, as zod schemas: the TypeScript types the services return and
// the OpenAPI schemas the docs show come from the same definitions.
import { z } from '@mercato/config';
import { MODEL_ALIASES, MODEL_KINDS } from '@mercato/contracts';

const Alias = z.enum(MODEL_ALIASES);
const Aliases = z.record(z.string(), z.number().int()).describe('alias → version, e.g. {"production": 3}');
const Metrics = z.record(z.string(), z.number());

export const FileView = z.object({
  path: z.string(),
  role: z.enum(['model', 'weights', 'manifest', 'other']),
  sha256: z.string().describe('hex SHA-256 of the bytes, checked again on every download'),
  size: z.number().int(),
  url: z.string().describe('download path, relative to the registry'),
});

export const VersionSummaryView = z.object({
  version: z.number().int(),
  status: z.enum(['registered', 'archived']),
  metrics: Metrics,
  fileCount: z.number().int(),
  totalBytes: z.number().int(),
  aliases: z.array(Alias),
  createdAt: z.string(),
});
export type VersionSummaryView = z.infer<typeof VersionSummaryView>;

export const VersionView = VersionSummaryView.extend({
  model: z.string(),
  kind: z.enum(MODEL_KINDS),
  lineage: z.record(z.string(), z.unknown()),
  idempotencyKey: z.string(),
  signature: z
    .object({ algorithm: z.literal('ed25519'), keyId: z.string(), value: z.string() })
    .nullable()
    .describe("training's Ed25519 signature of the files under the model's name (null: unsigned)"),
  archivedAt: z.string().nullable(),
  artifactUri: z.string().describe('the model.json URL to give tf.loadLayersModel'),
  files: z.array(FileView),
});
export type VersionView = z.infer<typeof VersionView>;

export const ModelView = z.object({
  name: z.string(),
  kind: z.enum(MODEL_KINDS),
  tenantId: z.string(),
  description: z.string(),
  latestVersion: z.number().int().describe('highest version number registered (0: none yet)'),
  aliases: Aliases,
  createdAt: z.string(),
});
export type ModelView = z.infer<typeof ModelView>;

export const ModelDetailView = ModelView.extend({
  versions: z.array(VersionSummaryView).describe('the latest versions, newest first (up to 10)'),
});
export type ModelDetailView = z.infer<typeof ModelDetailView>;

export const ListView = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), limit: z.number().int(), offset: z.number().int() });

export const AliasView = z.object({
  model: z.string(),
  alias: Alias,
  version: z.number().int(),
  updatedAt: z.string(),
  artifactUri: z.string(),
});
export type AliasView = z.infer<typeof AliasView>;

const Decision = z
  .object({
    promote: z.boolean(),
    reason: z.string(),
    policy: z
      .object({
        metric: z.string(),
        margin: z.number(),
        higherIsBetter: z.boolean(),
        minSample: z.number().int().optional(),
      })
      .optional(),
    challengerValue: z.number().optional(),
    championValue: z.number().optional(),
    improvement: z.number().optional(),
    sample: z
      .number()
      .int()
      .optional()
      .describe('held-out examples the version was evaluated on (online: answers compared)'),
    championMeasuredOn: z
      .enum(['holdout', 'registered', 'online'])
      .optional()
      .describe(
        "holdout: the champion scored on the challenger's held-out data by the training job; registered: its own metrics; online: both measured on live traffic by scoring",
      ),
  })
  .describe('the promotion policy verdict');

export const PromotionView = z.object({
  outcome: z
    .enum(['promoted', 'rejected', 'unchanged', 'rolled_back', 'retrain_failed'])
    .describe(
      'promoted/rolled_back: the alias moved; rejected: the policy refused (HTTP 409); unchanged: it already pointed there; retrain_failed: a failed retrain was recorded, the alias stays',
    ),
  model: z.string(),
  alias: Alias,
  version: z.number().int().nullable().describe('the version the alias points to after the request'),
  previousVersion: z.number().int().nullable(),
  requestedVersion: z.number().int().optional(),
  reason: z.string(),
  decision: Decision.nullable(),
  historyId: z.number().int().nullable(),
  eventId: z.string().nullable(),
});
export type PromotionView = z.infer<typeof PromotionView>;

export const AliasHistoryView = z.object({
  id: z.number().int(),
  alias: Alias,
  action: z
    .enum(['promote', 'rollback', 'rejected', 'retrain_failed'])
    .describe(
      'rejected: a promotion the policy refused; the alias did not move (from → the version refused). ' +
        'retrain_failed: a retrain meant to replace the holder failed; the alias did not move (from and to the holder), the reason says why',
    ),
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int(),
  actor: z
    .string()
    .describe('the authenticated principal that moved the alias: key:<API key id> or jwt:<token subject>'),
  reason: z.string(),
  decision: Decision.nullable(),
  revertedBy: z.number().int().nullable().describe('the rollback that undid this promotion'),
  eventId: z.string(),
  at: z.string(),
});
export type AliasHistoryView = z.infer<typeof AliasHistoryView>;

export const ArchiveView = z.object({
  outcome: z.enum(['archived', 'unchanged']),
  model: z.string(),
  version: z.number().int(),
  eventId: z.string().nullable(),
});
export type ArchiveView = z.infer<typeof ArchiveView>;

export const LineageView = z
  .object({
    model: z.string(),
    version: z.number().int(),
    kind: z.enum(MODEL_KINDS),
    registeredAt: z.string(),
    aliases: z.array(Alias).describe('the aliases pointing to the version now'),
    codeVersion: z.unknown().describe('the code that trained it'),
    backend: z.unknown(),
    dataset: z
      .object({
        ref: z
          .unknown()
          .describe('the dataset reference it was trained on (file, synthetic or feature store)'),
        hash: z.unknown().describe('SHA-256 of the training data (feedback included)'),
        snapshot: z.unknown().describe('feature-store datasets: the pinned as_of and split_at'),
        split: z.unknown(),
        trainExamples: z.unknown(),
        testExamples: z.unknown(),
      })
      .describe('the training dataset snapshot'),
    feedback: z
      .unknown()
      .describe('analyst feedback joined: { examples, weight, replaced[, unavailable] }, or null'),
    training: z.object({ runId: z.unknown(), requestId: z.unknown(), requestedBy: z.unknown() }),
    parent: z.unknown(),
    teachers: z.unknown(),
    champion: z
      .unknown()
      .describe(
        "the production version its job scored on the same held-out data, and that version's figures",
      ),
    decisions: z
      .array(AliasHistoryView)
      .describe('promotions to it, refusals, rollbacks from it, oldest first'),
  })
  .describe("a version's lineage: what it was trained on and by what, and every decision about it");
export type LineageView = z.infer<typeof LineageView>;
