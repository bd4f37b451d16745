// Publishes users' online features on features.user.v1 (compacted, key = pseudonymous user id). The
// event id is a name-based UUID of the published state, so republishing an unchanged state (after a
// restart redelivers a batch) carries the same id and consumers dedupe it, while every change gets a
// new one. An empty record (count 0, no items) tells every consumer to forget the user. Each record
// carries the `derived-by` header (../derived-by.ts).
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Topics, UserFeaturesSchema, type UserFeatures } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { derivedByHeaders } from '../derived-by';
import type { FeatureConfig } from '../feature.config';
import { uuidV5 } from '@mercato/kafka';
import { interactionTypeOf } from './interaction-records';
import type { UserState } from './user-features';

/** Namespace of features.user.v1 event ids (a fixed random UUID; changing it changes every id). */
export const USER_FEATURES_EVENT_NAMESPACE = '0d7c2a4e-91b3-4f6a-8e25-5c3f1b9d7a60';

export function userFeaturesMessage(state: UserState): UserFeatures {
  return create(UserFeaturesSchema, {
    tenantId: state.tenantId,
    userId: state.userId,
    recentItems: state.recentItems.map((i) => ({
      itemId: i.itemId,
      type: interactionTypeOf(i.type),
      at: timestampFromDate(i.at),
    })),
    purchasedItemIds: state.purchasedItemIds,
    interactionCount: BigInt(state.interactionCount),
    updatedAt: timestampFromDate(state.updatedAt),
  });
}

export function userFeaturesEventId(state: UserState): string {
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        state.tenantId,
        state.userId,
        state.createdAt.toISOString(),
        state.updatedAt.toISOString(),
        state.interactionCount,
        state.recentItems.map((i) => [i.itemId, i.type, i.at.toISOString()]),
        state.purchasedItemIds,
      ]),
    )
    .digest('hex');
  return uuidV5(USER_FEATURES_EVENT_NAMESPACE, digest);
}

@Injectable()
export class UserFeaturesPublisher {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly producer: EventProducer,
    @Inject(SERVICE_CONFIG) config: FeatureConfig,
  ) {
    this.headers = derivedByHeaders(config);
  }

  async publish(states: readonly UserState[], eventIdOf = userFeaturesEventId): Promise<void> {
    await this.producer.send(
      Topics.userFeatures,
      states.map((s) => ({
        key: s.userId,
        eventId: eventIdOf(s),
        tenantId: s.tenantId,
        headers: this.headers,
        value: userFeaturesMessage(s),
      })),
    );
  }
}
