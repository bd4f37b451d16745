// Per-user operations of the HTTP API: read the online features, and delete a user everywhere (with
// its audit entry, in one transaction) then tell every consumer of features.user.v1 to forget them
// with an empty record.
import type { Principal } from '@mercato/auth';
import { AuditLog, Database } from '@mercato/db';
import { SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { uuidV5 } from '@mercato/kafka';
import { recsMetrics } from './recs-metrics';
import type { UserState } from './user-features';
import { UserFeaturesPublisher, USER_FEATURES_EVENT_NAMESPACE } from './user-features.publisher';
import { UserFeaturesRepository } from './user-features.repository';

@Injectable()
export class UsersService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly users: UserFeaturesRepository,
    private readonly publisher: UserFeaturesPublisher,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  features(tenantId: string, userId: string): Promise<UserState | undefined> {
    return this.users.find(tenantId, userId);
  }

  async delete(principal: Principal, userId: string): Promise<void> {
    const { tenantId } = principal;
    const { deletedAt, interactions } = await this.db.transaction(async (tx) => {
      const deleted = await this.users.delete(tx, tenantId, userId);
      await this.audit.record(
        principal,
        { action: 'user.delete', target: `user ${userId}`, details: { interactions: deleted.interactions } },
        tx,
      );
      return deleted;
    });
    const empty: UserState = {
      tenantId,
      userId,
      recentItems: [],
      purchasedItemIds: [],
      interactionCount: 0,
      createdAt: deletedAt,
      updatedAt: deletedAt,
    };
    await this.publisher.publish([empty], (s) =>
      uuidV5(
        USER_FEATURES_EVENT_NAMESPACE,
        `deleted\u0000${s.tenantId}\u0000${s.userId}\u0000${deletedAt.toISOString()}`,
      ),
    );
    recsMetrics.userFeaturesPublished.inc({ reason: 'deletion' });
    this.logger.info({ tenantId, interactions }, 'user deleted from the feature store');
  }
}
