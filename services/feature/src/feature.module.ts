// The feature service's modules, one per path through it: news (news.raw.v1 → news.enriched.v1) and
// recs (interactions.raw.v1, catalog.items.v1 → the recommendation feature store → features.user.v1),
// and the OpenAPI document of both.
import { Module } from '@nestjs/common';
import { NewsModule } from './news/news.module';
import { OpenApiController } from './openapi.controller';
import { RecsModule } from './recs/recs.module';

@Module({ imports: [NewsModule, RecsModule], controllers: [OpenApiController] })
export class FeatureModule {}
