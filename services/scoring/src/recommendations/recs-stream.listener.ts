// Feeds the in-memory state from Kafka with a consumer group of its own per process: every replica
// needs every user and every item, which one shared group would spread over the replicas. It reads
// the compacted features.user.v1 and catalog.items.v1 from the beginning (the latest record per key
// is the state), models.lifecycle.v1 from the end (start-up reads the aliases itself) and
// interactions.raw.v1 from the end (the outcomes of the answers this replica served). It commits
// nothing: a restart rebuilds the state from the topics, and a group without committed offsets is
// dropped by the broker once the process leaves. The replica reports ready once it has read both
// compacted topics up to where they ended when it started, and loaded the recommender versions over
// that whole catalog (RecommenderModelsService waits for the state to load them). A sharded replica (RECS_SHARDS > 1) reads
// the same records but keeps only its own tenants' (TenantShards): its memory is its share.
import { Headers, InteractionType, Topics, type TopicSpec } from '@mercato/contracts';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { decode, headerValue, withRecordContext } from '@mercato/kafka';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import { HealthRegistry, type Logger } from '@mercato/telemetry';
import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Kafka, type Batch, type Consumer } from 'kafkajs';
import { hostname } from 'node:os';
import type { ScoringConfig } from '../scoring.config';
import { OutcomeTracker, type Engagement } from './outcomes';
import { RecommenderModelsService } from './recommender-models.service';
import { recsMetrics } from './recs-metrics';
import { RecsState } from './recs-state';
import { TenantShards } from './tenant-shards';

const STATE_TOPICS = [Topics.userFeatures.name, Topics.catalogItems.name];

@Injectable()
export class RecsStreamListener implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: Consumer | undefined;
  readonly groupId: string;
  /** Offsets each state partition must reach before the replica is ready ("topic:partition" → next offset). */
  private readonly pending = new Map<string, bigint>();

  constructor(
    private readonly kafka: Kafka,
    private readonly state: RecsState,
    private readonly models: RecommenderModelsService,
    private readonly shards: TenantShards,
    private readonly outcomes: OutcomeTracker,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Optional() health?: HealthRegistry,
  ) {
    const base = config.KAFKA_CONSUMER_GROUP ?? 'mercato-scoring';
    this.groupId = `${base}-recs-${hostname()}-${process.pid}`;
    health?.register('recs-state', async () => {
      if (!this.state.loaded) throw new Error('still reading features.user.v1 / catalog.items.v1');
      if (!this.models.started) throw new Error('loading the recommender versions');
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const topic of STATE_TOPICS)
        for (const p of await admin.fetchTopicOffsets(topic))
          if (BigInt(p.high) > BigInt(p.low)) this.pending.set(`${topic}:${p.partition}`, BigInt(p.high));
    } finally {
      await admin.disconnect();
    }
    this.markProgress();
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      // Loading a version over a million-item catalog holds the event loop for tens of seconds (items
      // added, index built) and no heartbeat goes out meanwhile: a session that expired would rejoin
      // and, committing nothing, read both state topics again from the beginning while serving.
      sessionTimeout: 180_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 100,
    });
    consumer.on(consumer.events.GROUP_JOIN, () =>
      this.logger.info({ groupId: this.groupId }, 'recommendation state listener joined'),
    );
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.logger.error(
        { groupId: this.groupId, err: payload.error.message },
        'recommendation state listener stopped',
      );
    });
    await consumer.connect();
    await consumer.subscribe({ topics: STATE_TOPICS, fromBeginning: true });
    await consumer.subscribe({
      topics: [Topics.modelLifecycle.name, Topics.interactionsRaw.name],
      fromBeginning: false,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => this.apply(batch),
    });
    this.consumer = consumer;
  }

  async onModuleDestroy(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect();
  }

  private apply(batch: Batch): Promise<void> {
    const { topic, partition } = batch;
    if (topic === Topics.userFeatures.name) this.applyUsers(batch);
    else if (topic === Topics.catalogItems.name) this.applyCatalog(batch);
    else if (topic === Topics.interactionsRaw.name) this.applyInteractions(batch);
    else this.applyLifecycle(batch);
    recsMetrics.stateRecords.inc({ topic }, batch.messages.length);
    recsMetrics.stateTenants.set(this.state.tenantIds().length);
    const key = `${topic}:${partition}`;
    const target = this.pending.get(key);
    if (target !== undefined && BigInt(batch.lastOffset()) + 1n >= target) {
      this.pending.delete(key);
      this.markProgress();
    }
    return Promise.resolve();
  }

  private applyUsers(batch: Batch): void {
    for (const message of batch.messages) {
      const key = message.key?.toString();
      if (!key) continue;
      const headerTenant = headerValue(message.headers, Headers.tenantId);
      if (!message.value || message.value.length === 0) {
        const tenantId = headerTenant ?? this.config.TENANT_ID;
        if (this.shards.owns(tenantId)) this.state.applyUserFeatures(tenantId, key, null);
        continue;
      }
      // The tenant header spares decoding another shard's records (the producer sets it).
      if (headerTenant !== undefined && !this.shards.owns(headerTenant)) continue;
      try {
        const features = decode(Topics.userFeatures, message.value, message.headers);
        const tenantId = features.tenantId || headerTenant || this.config.TENANT_ID;
        if (!this.shards.owns(tenantId)) continue;
        this.state.applyUserFeatures(tenantId, features.userId || key, features);
      } catch (err) {
        this.skip(batch, message.offset, err);
      }
    }
  }

  private applyCatalog(batch: Batch): void {
    const items = [...this.owned(batch, Topics.catalogItems)].map((r) => r.value);
    this.state.applyCatalog(items, this.config.TENANT_ID);
  }

  /** Interactions that happened within the outcome window make the answers they follow hits. */
  private applyInteractions(batch: Batch): void {
    const now = Date.now();
    for (const { value: i, tenantId, key } of this.owned(batch, Topics.interactionsRaw)) {
      // A replayed history is not an outcome of what this replica served just now.
      if (i.occurredAt && now - timestampMs(i.occurredAt) > this.config.RECS_OUTCOME_WINDOW_MS) continue;
      this.outcomes.interaction(tenantId, i.userId || key, i.itemId, engagement(i.type), now);
    }
  }

  /**
   * The batch's records of this replica's tenants, decoded; the tenant header spares decoding another
   * shard's records (the producer sets it). An unreadable record is logged and skipped.
   */
  private *owned<S extends DescMessage>(
    batch: Batch,
    spec: TopicSpec<S>,
  ): Generator<{ value: MessageShape<S> & { tenantId: string }; tenantId: string; key: string }> {
    for (const message of batch.messages) {
      if (!message.value || message.value.length === 0) continue;
      const headerTenant = headerValue(message.headers, Headers.tenantId);
      if (headerTenant !== undefined && !this.shards.owns(headerTenant)) continue;
      let value;
      try {
        value = decode(spec, message.value, message.headers) as MessageShape<S> & { tenantId: string };
      } catch (err) {
        this.skip(batch, message.offset, err);
        continue;
      }
      const tenantId = value.tenantId || headerTenant || this.config.TENANT_ID;
      if (this.shards.owns(tenantId)) yield { value, tenantId, key: message.key?.toString() ?? '' };
    }
  }

  private applyLifecycle(batch: Batch): void {
    for (const message of batch.messages) {
      try {
        const event = decode(Topics.modelLifecycle, message.value, message.headers);
        withRecordContext(message.headers, () => this.models.onLifecycleEvent(event));
      } catch (err) {
        this.skip(batch, message.offset, err);
      }
    }
  }

  private skip(batch: Batch, offset: string, err: unknown): void {
    this.logger.warn(
      { topic: batch.topic, partition: batch.partition, offset, err: (err as Error).message },
      'skipping an unreadable record',
    );
  }

  private markProgress(): void {
    if (this.state.loaded || this.pending.size > 0) return;
    this.state.markLoaded();
    const tenants = this.state.tenantIds().map((t) => ({ tenant: t, ...this.state.tenant(t).size() }));
    this.logger.info(
      { tenants },
      'recommendation state caught up with features.user.v1 and catalog.items.v1',
    );
  }
}

/** Clicks, carts, purchases and ratings are engagement with an item; a view (or an unknown type) is not. */
function engagement(type: InteractionType): Engagement {
  switch (type) {
    case InteractionType.PURCHASE:
      return 'purchase';
    case InteractionType.CLICK:
    case InteractionType.CART:
    case InteractionType.RATING:
      return 'engaged';
    case InteractionType.VIEW:
    case InteractionType.UNSPECIFIED:
      return 'view';
  }
}
