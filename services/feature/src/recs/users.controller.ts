// HTTP: a user's online features, and the user's deletion from the feature store (then an empty
// record on features.user.v1). The user id in the path is the pseudonym ingest assigned.
import { notFound, ValidParam } from '@mercato/runtime';
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Controller, Delete, Get, HttpCode } from '@nestjs/common';
import { UserId } from './http-validation';
import type { UserState } from './user-features';
import { UsersService } from './users.service';

export interface UserFeaturesView {
  tenant_id: string;
  user_id: string;
  recent_items: { item_id: string; type: string; at: string }[];
  purchased_item_ids: string[];
  interaction_count: number;
  updated_at: string;
}

const view = (s: UserState): UserFeaturesView => ({
  tenant_id: s.tenantId,
  user_id: s.userId,
  recent_items: s.recentItems.map((i) => ({ item_id: i.itemId, type: i.type, at: i.at.toISOString() })),
  purchased_item_ids: s.purchasedItemIds,
  interaction_count: s.interactionCount,
  updated_at: s.updatedAt.toISOString(),
});

@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(':userId/features')
  @RequireScopes('features:read')
  async features(
    @ValidParam('userId', UserId) userId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UserFeaturesView> {
    const id = userId;
    const state = await this.users.features(principal.tenantId, id);
    if (!state) throw notFound('no features for this user');
    return view(state);
  }

  @Delete(':userId')
  @HttpCode(204)
  @RequireScopes('users:delete')
  async delete(
    @ValidParam('userId', UserId) userId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.users.delete(principal, userId);
  }
}
