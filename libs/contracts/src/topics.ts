// The topic catalogue: the one place topic names, keys, message types, partitions and retention are
// defined. Topic creation, producers, consumers, the Helm chart values and the Strimzi manifests all
// derive from it; no string topic name appears anywhere else.
import type { DescMessage } from '@bufbuild/protobuf';
import { DeadLetterSchema } from './gen/mercato/platform/v1/dead_letter_pb';
import { EnrichedArticleSchema, NewsArticleSchema, ScoredArticleSchema } from './gen/mercato/news/v1/news_pb';
import { SentimentAlertSchema } from './gen/mercato/sentiment/v1/alerts_pb';
import { CatalogItemSchema, InteractionSchema, UserFeaturesSchema } from './gen/mercato/recs/v1/recs_pb';
import {
  ModelEventSchema,
  ModelMonitoringSchema,
  TrainingRequestSchema,
} from './gen/mercato/models/v1/models_pb';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export type CleanupPolicy = 'delete' | 'compact';

export interface TopicSpec<S extends DescMessage = DescMessage> {
  readonly name: string;
  /** What the record key holds. */
  readonly key: string;
  readonly schema: S;
  readonly partitions: number;
  readonly cleanupPolicy: CleanupPolicy;
  /** -1: kept forever (compacted topics). */
  readonly retentionMs: number;
  /** The dead-letter topic for consumers of this topic. */
  readonly deadLetter: string;
}

function topic<S extends DescMessage>(
  name: string,
  key: string,
  schema: S,
  partitions: number,
  cleanupPolicy: CleanupPolicy,
  retentionMs: number,
): TopicSpec<S> {
  return { name, key, schema, partitions, cleanupPolicy, retentionMs, deadLetter: `${name}.dlq` };
}

export const Topics = {
  newsRaw: topic('news.raw.v1', 'article id', NewsArticleSchema, 6, 'delete', 7 * DAY_MS),
  newsEnriched: topic('news.enriched.v1', 'article id', EnrichedArticleSchema, 6, 'delete', 7 * DAY_MS),
  newsScored: topic('news.scored.v1', 'ticker', ScoredArticleSchema, 6, 'delete', 7 * DAY_MS),
  sentimentAlerts: topic('sentiment.alerts.v1', 'ticker', SentimentAlertSchema, 3, 'delete', 30 * DAY_MS),
  interactionsRaw: topic(
    'interactions.raw.v1',
    'pseudonymous user id',
    InteractionSchema,
    6,
    'delete',
    7 * DAY_MS,
  ),
  catalogItems: topic('catalog.items.v1', 'tenant id/item id', CatalogItemSchema, 6, 'compact', -1),
  userFeatures: topic('features.user.v1', 'pseudonymous user id', UserFeaturesSchema, 6, 'compact', -1),
  trainingRequests: topic(
    'training.requests.v1',
    'model name',
    TrainingRequestSchema,
    1,
    'delete',
    7 * DAY_MS,
  ),
  modelLifecycle: topic('models.lifecycle.v1', 'model name', ModelEventSchema, 1, 'delete', 30 * DAY_MS),
  // Six partitions: the sentiment monitor (drift panel) reads it in its scaled consumer group.
  modelMonitoring: topic(
    'models.monitoring.v1',
    'model name',
    ModelMonitoringSchema,
    6,
    'delete',
    7 * DAY_MS,
  ),
} as const;

export type TopicKey = keyof typeof Topics;

/**
 * The key of a catalog.items.v1 record: tenant and item id, so that two tenants' items with the same
 * id are two keys, both kept by log compaction. A tenant id never holds a '/' (TENANT_ID_PATTERN),
 * so the first '/' separates the two. Records written before (keyed by the item id alone) stay
 * readable: consumers take the tenant and the item from the value, and the newest updated_at wins.
 */
export function catalogItemKey(tenantId: string, itemId: string): string {
  return `${tenantId}/${itemId}`;
}

/**
 * Broker settings of the compacted state topics (which scoring and feature read from the start).
 * The log cleaner never touches a partition's active segment, which by default rolls only at 1 GiB
 * or after 7 days: without these a state topic is never compacted and start-up reads grow without
 * bound. `ensureTopics` applies them to existing topics too; k8s/kafka-topics.yaml repeats them for
 * Strimzi (the chart spec checks both agree).
 */
export const COMPACTION_CONFIG: Readonly<Record<string, string>> = {
  /** Roll the active segment hourly, so the cleaner can reach records at most an hour old. */
  'segment.ms': String(HOUR_MS),
  /** Clean once a tenth of a partition's log is superseded values (Kafka's default: half). */
  'min.cleanable.dirty.ratio': '0.1',
  /** Keep a tombstone a day, so a consumer reading from the start within a day sees the deletion. */
  'delete.retention.ms': String(DAY_MS),
  /** Leave the last hour uncompacted: a consumer catching up sees every recent update. */
  'min.compaction.lag.ms': String(HOUR_MS),
};

/** Every dead-letter topic shares one message type and keeps the original key. */
export const DEAD_LETTER_SCHEMA = DeadLetterSchema;
export const DEAD_LETTER_RETENTION_MS = 14 * DAY_MS;

export interface TopicDefinition {
  name: string;
  partitions: number;
  config: Record<string, string>;
}

/** Every topic the platform needs, dead-letter topics included, with its broker configuration. */
export function topicDefinitions(): TopicDefinition[] {
  const defs: TopicDefinition[] = [];
  for (const spec of Object.values(Topics) as TopicSpec[]) {
    defs.push({
      name: spec.name,
      partitions: spec.partitions,
      config: {
        'cleanup.policy': spec.cleanupPolicy,
        'retention.ms': String(spec.retentionMs),
        'min.insync.replicas': '1',
        ...(spec.cleanupPolicy === 'compact' ? COMPACTION_CONFIG : {}),
      },
    });
    defs.push({
      name: spec.deadLetter,
      partitions: 1,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(DEAD_LETTER_RETENTION_MS) },
    });
  }
  return defs;
}

export function topicByName(name: string): TopicSpec | undefined {
  return (Object.values(Topics) as TopicSpec[]).find((t) => t.name === name);
}
