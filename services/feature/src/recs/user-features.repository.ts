// Per-user reads and deletion (schema feature). Deletion removes the user's rows from every table
// that holds them (the interaction log and the online user features) and records the deletion, so
// a later redelivery of the user's old interactions is not stored again.
import type { Queryable } from '@mercato/db';
import { Injectable } from '@nestjs/common';
import { InteractionStoreRepository } from './interaction-store.repository';
import type { UserState } from './user-features';

@Injectable()
export class UserFeaturesRepository {
  constructor(private readonly interactions: InteractionStoreRepository) {}

  async find(tenantId: string, userId: string): Promise<UserState | undefined> {
    const [state] = await this.interactions.findUsers([{ tenantId, userId }]);
    return state;
  }

  /**
   * Deletes the user's rows in the caller's transaction; returns when the deletion was recorded and
   * how many interactions went.
   */
  async delete(
    client: Queryable,
    tenantId: string,
    userId: string,
  ): Promise<{ deletedAt: Date; interactions: number }> {
    const marked = await client.query<{ deleted_at: Date }>(
      `INSERT INTO user_deletions (tenant_id, user_id, deleted_at) VALUES ($1, $2, clock_timestamp())
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at
       RETURNING deleted_at`,
      [tenantId, userId],
    );
    const removed = await client.query('DELETE FROM interaction_log WHERE tenant_id = $1 AND user_id = $2', [
      tenantId,
      userId,
    ]);
    await client.query('DELETE FROM user_features WHERE tenant_id = $1 AND user_id = $2', [tenantId, userId]);
    return {
      deletedAt: (marked.rows[0] as { deleted_at: Date }).deleted_at,
      interactions: removed.rowCount ?? 0,
    };
  }
}
