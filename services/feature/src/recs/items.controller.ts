// HTTP: the most popular or trending available items of the caller's tenant (cold-start
// recommendations for the scoring service), optionally in one category.
import { z } from '@mercato/config';
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { SERVICE_CONFIG, ValidQuery } from '@mercato/runtime';
import { Controller, Get, Inject } from '@nestjs/common';
import type { FeatureConfig } from '../feature.config';
import { PopularQuery } from './http-validation';
import { ItemPopularityRepository } from './item-popularity.repository';

export interface PopularView {
  kind: 'popular' | 'trending';
  as_of: string;
  half_life_hours: number;
  items: { item_id: string; score: number; categories: string[] }[];
}

@Controller('v1/items')
export class ItemsController {
  constructor(
    private readonly popularity: ItemPopularityRepository,
    @Inject(SERVICE_CONFIG) private readonly config: FeatureConfig,
  ) {}

  @Get('popular')
  @RequireScopes('recs:read')
  async popular(
    @ValidQuery(PopularQuery) q: z.output<typeof PopularQuery>,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PopularView> {
    const halfLifeHours =
      q.kind === 'popular' ? this.config.POPULAR_HALF_LIFE_HOURS : this.config.TRENDING_HALF_LIFE_HOURS;
    const asOf = new Date();
    const items = await this.popularity.top(principal.tenantId, q.kind, {
      category: q.category,
      asOf,
      halfLifeSeconds: halfLifeHours * 3600,
      limit: q.limit,
    });
    return {
      kind: q.kind,
      as_of: asOf.toISOString(),
      half_life_hours: halfLifeHours,
      items: items.map((i) => ({ item_id: i.itemId, score: i.score, categories: i.categories })),
    };
  }
}
