// Request schemas (zod) for alias moves and archiving. Who did it is the authenticated principal,
// recorded by the service; a body carries only why (`reason`, free text). An `actor` field of older
// clients is ignored like any unknown field: it is never trusted.
import { z } from '@mercato/config';
import { MODEL_ALIASES } from '@mercato/contracts';
import { METRIC_NAME } from './promotion-policy';

const Reason = z.string().max(2_000).default('');
const Alias = z
  .enum(MODEL_ALIASES, { message: `must be one of ${MODEL_ALIASES.join(', ')}` })
  .default('production');

export const PolicyBody = z.object({
  metric: z.string().regex(METRIC_NAME, 'must be a metric name'),
  margin: z.number().min(0, 'must be >= 0').default(0),
  higherIsBetter: z.boolean().default(true),
  /** Fewest held-out examples the version must have been evaluated on (its lineage testExamples). */
  minSample: z.number().int().min(0, 'must be >= 0').optional(),
});

/**
 * Move the alias only while it still points at this version (409 already_moved otherwise): the
 * replicas of a serving service that each saw a version fail move it back once, not once each.
 */
const FromVersion = z
  .number()
  .int()
  .positive('must be a positive integer version number')
  .max(2_147_483_647, 'is too large')
  .optional();

/** Figures measured on live traffic (see OnlineEvidence): they, not a policy, decide the promotion. */
export const OnlineEvidenceBody = z.object({
  metric: z.string().regex(METRIC_NAME, 'must be a metric name'),
  challengerValue: z.number(),
  championValue: z.number(),
  sample: z.number().int().min(0, 'must be >= 0'),
  minSample: z.number().int().min(0, 'must be >= 0'),
  /** The challenger must be at least this much better; negative: it may be that much worse. */
  margin: z.number(),
});

export const PromoteBody = z.object({
  version: z
    .number()
    .int()
    .positive('must be a positive integer version number')
    .max(2_147_483_647, 'is too large'),
  alias: Alias,
  reason: Reason,
  /** Promote only if the version beats the alias's current holder on this metric. */
  policy: PolicyBody.optional(),
  /** Skip the kind's default policy (PROMOTION_POLICY_<KIND>) when no policy is given. */
  force: z.boolean().default(false),
  fromVersion: FromVersion,
  /** Decide on figures measured online instead of a policy (the serving service's comparison). */
  online: OnlineEvidenceBody.optional(),
});
export type PromoteInput = z.output<typeof PromoteBody>;

export const RollbackBody = z.object({
  alias: Alias,
  reason: Reason,
  fromVersion: FromVersion,
});
export type RollbackInput = z.output<typeof RollbackBody>;

/** A retrain meant to replace the alias holder (promote if better) failed: recorded, the alias unmoved. */
export const RetrainFailureBody = z.object({
  alias: Alias,
  requestId: z.string().trim().min(1).max(256),
  reason: z.string().trim().min(1, 'say why it failed').max(2_000),
});
export type RetrainFailureInput = z.output<typeof RetrainFailureBody>;

export const ArchiveBody = z.object({ reason: Reason });
export type ArchiveInput = z.output<typeof ArchiveBody>;
