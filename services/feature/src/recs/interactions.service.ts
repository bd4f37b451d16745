// The interactions path: a batch of interactions.raw.v1 records → validated → appended to the
// interaction log and folded into the online store in one transaction → the touched users'
// features published on features.user.v1. Publishing after the commit, for every user of the batch
// (not only those with new rows), means a crash between commit and publish is repaired by the
// redelivery: the store changes nothing the second time, and the same state is published again.
import type { Interaction } from '@mercato/contracts';
import type { DecodedRecord } from '@mercato/kafka';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import type { FeatureConfig } from '../feature.config';
import { interactionRow, type InteractionRow } from './interaction-records';
import { InteractionStoreRepository, type BatchUpdate } from './interaction-store.repository';
import { batchPopularity, HOUR_MS, type HalfLives } from './popularity';
import { recsMetrics } from './recs-metrics';
import { applyInteractions, type UserState } from './user-features';
import { UserFeaturesPublisher } from './user-features.publisher';

const keyOf = (tenantId: string, id: string): string => `${tenantId}\u0000${id}`;

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** The online-store update for newly stored interactions, given their users' current state. */
export function planUpdate(
  stored: readonly InteractionRow[],
  users: ReadonlyMap<string, UserState>,
  recentMax: number,
  halfLives: HalfLives,
  now: Date,
): BatchUpdate {
  const next: UserState[] = [];
  for (const [key, events] of groupBy(stored, (r) => keyOf(r.tenantId, r.userId))) {
    const first = events[0] as InteractionRow;
    const current = users.get(key) ?? {
      tenantId: first.tenantId,
      userId: first.userId,
      recentItems: [],
      purchasedItemIds: [],
      interactionCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    next.push(applyInteractions(current, events, recentMax, now));
  }
  const popularity: BatchUpdate['popularity'] = [];
  for (const events of groupBy(stored, (r) => r.tenantId).values()) {
    const tenantId = (events[0] as InteractionRow).tenantId;
    for (const [itemId, score] of batchPopularity(events, halfLives))
      popularity.push({ tenantId, itemId, score });
  }
  return { users: next, popularity };
}

@Injectable()
export class InteractionsService {
  private readonly halfLives: HalfLives;

  constructor(
    private readonly store: InteractionStoreRepository,
    private readonly publisher: UserFeaturesPublisher,
    @Inject(SERVICE_CONFIG) private readonly config: FeatureConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.halfLives = {
      popularMs: config.POPULAR_HALF_LIFE_HOURS * HOUR_MS,
      trendingMs: config.TRENDING_HALF_LIFE_HOURS * HOUR_MS,
    };
  }

  get popularityHalfLives(): HalfLives {
    return this.halfLives;
  }

  /**
   * Throws NonRetriableError when a record is invalid, before anything is written: the transport
   * then handles the batch record by record, dead-lettering only the bad ones.
   */
  async recordBatch(records: readonly DecodedRecord<Interaction>[]): Promise<void> {
    const rows = records.map(({ value, record }) => interactionRow(value, record, this.config.TENANT_ID));
    const unique = [...new Map(rows.map((r) => [keyOf(r.tenantId, r.interactionId), r])).values()];
    const { stored, users: updated } = await this.store.record(unique, this.halfLives, (fresh, users) =>
      planUpdate(fresh, users, this.config.RECENT_ITEMS_MAX, this.halfLives, new Date()),
    );
    // Users with new rows are published as just written; the others (every record a redelivery)
    // as the store holds them, which may be nothing for a user deleted since.
    const touched = new Map(
      rows.map((r) => [keyOf(r.tenantId, r.userId), { tenantId: r.tenantId, userId: r.userId }]),
    );
    for (const u of updated) touched.delete(keyOf(u.tenantId, u.userId));
    const states = [...updated, ...(await this.store.findUsers([...touched.values()]))];
    await this.publisher.publish(states);

    const now = Date.now();
    recsMetrics.interactions.inc({ result: 'stored' }, stored.length);
    recsMetrics.interactions.inc({ result: 'skipped' }, rows.length - stored.length);
    recsMetrics.userFeaturesPublished.inc({ reason: 'interactions' }, states.length);
    for (const r of rows) recsMetrics.lag.observe(Math.max(0, now - r.brokerMs) / 1000);
    // Counts only: user ids (pseudonyms) stay out of the logs.
    this.logger.debug(
      { records: rows.length, stored: stored.length, published: states.length },
      'interactions batch applied',
    );
  }
}
