// The feature service's modules, one per path through it. The news path is here; the interactions,
// catalog and online-store paths (interactions.raw.v1, catalog.items.v1 → features.user.v1) join as
// sibling modules with their own handlers, repositories and migrations.
import { Module } from '@nestjs/common';
import { NewsModule } from './news/news.module';

@Module({ imports: [NewsModule] })
export class FeatureModule {}
