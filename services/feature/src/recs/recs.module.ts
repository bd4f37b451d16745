// The feature service's recommendation path: interactions.raw.v1 and catalog.items.v1 → offline
// store (interaction log, catalog versions) + online store (user features, item popularity, item
// features) → features.user.v1; and the HTTP API over it (dataset exports, popular items, user
// features and deletion).
import { Module } from '@nestjs/common';
import { CatalogItemsHandler } from './catalog-items.handler';
import { CatalogStoreRepository } from './catalog-store.repository';
import { CatalogService } from './catalog.service';
import { DatasetExportRepository } from './dataset-export.repository';
import { DatasetsController } from './datasets.controller';
import { InteractionStoreRepository } from './interaction-store.repository';
import { InteractionsRawHandler } from './interactions-raw.handler';
import { InteractionsService } from './interactions.service';
import { ItemPopularityRepository } from './item-popularity.repository';
import { ItemsController } from './items.controller';
import { StoreSizeReporter } from './store-size.reporter';
import { UserFeaturesPublisher } from './user-features.publisher';
import { UserFeaturesRepository } from './user-features.repository';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  controllers: [
    InteractionsRawHandler,
    CatalogItemsHandler,
    DatasetsController,
    ItemsController,
    UsersController,
  ],
  providers: [
    InteractionStoreRepository,
    CatalogStoreRepository,
    DatasetExportRepository,
    ItemPopularityRepository,
    UserFeaturesRepository,
    UserFeaturesPublisher,
    InteractionsService,
    CatalogService,
    UsersService,
    StoreSizeReporter,
  ],
})
export class RecsModule {}
