// Builds the ModelEvent records the registry publishes on models.lifecycle.v1 (one per change:
// REGISTERED, PROMOTED — rollbacks included, with previous_version — PROMOTION_REJECTED,
// RETRAIN_FAILED (the alias holder stays, the reason says why) and ARCHIVED;
// a promotion judged by a policy carries the verdict's figures in `decision`).
import { create, toJson, type JsonValue } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ModelEventSchema, type ModelEventType, ModelKind, type ModelKindName } from '@mercato/contracts';
import type { PromotionDecision } from './promotion-policy';

export interface ModelEventInput {
  eventId: string;
  type:
    | ModelEventType.REGISTERED
    | ModelEventType.PROMOTED
    | ModelEventType.PROMOTION_REJECTED
    | ModelEventType.RETRAIN_FAILED
    | ModelEventType.ARCHIVED;
  tenantId: string;
  model: string;
  kind: ModelKindName;
  version: number;
  alias?: string;
  previousVersion?: number | null;
  metrics?: Record<string, number>;
  artifactUri?: string;
  reason?: string;
  occurredAt?: Date;
  decision?: PromotionDecision | null;
}

const KINDS: Record<ModelKindName, ModelKind> = {
  sentiment: ModelKind.SENTIMENT,
  recommender: ModelKind.RECOMMENDER,
};

/** The event in protobuf JSON form, as the outbox stores it. */
export function modelEventJson(e: ModelEventInput): JsonValue {
  const message = create(ModelEventSchema, {
    tenantId: e.tenantId,
    eventId: e.eventId,
    type: e.type,
    modelName: e.model,
    kind: KINDS[e.kind],
    version: String(e.version),
    alias: e.alias ?? '',
    previousVersion: e.previousVersion ? String(e.previousVersion) : '',
    metrics: e.metrics ?? {},
    artifactUri: e.artifactUri ?? '',
    reason: e.reason ?? '',
    occurredAt: timestampFromDate(e.occurredAt ?? new Date()),
    ...(e.decision?.policy
      ? {
          decision: {
            metric: e.decision.policy.metric,
            margin: e.decision.policy.margin,
            higherIsBetter: e.decision.policy.higherIsBetter,
            challengerValue: e.decision.challengerValue ?? 0,
            championValue: e.decision.championValue ?? 0,
            improvement: e.decision.improvement ?? 0,
            sample: e.decision.sample ?? 0,
            minSample: e.decision.policy.minSample ?? 0,
            championMeasuredOn: e.decision.championMeasuredOn ?? '',
          },
        }
      : {}),
  });
  return toJson(ModelEventSchema, message);
}
