// The ingest service's providers and controllers: HTTP controllers → ingest services (validation,
// dedupe, pseudonymization) → the dedupe-key repository (Postgres) and the raw-event publisher (Kafka).
import { Module, type DynamicModule } from '@nestjs/common';
import { CatalogController } from './catalog.controller';
import { CatalogIngestService } from './catalog-ingest.service';
import { DedupeCleanup } from './dedupe-cleanup';
import { DedupeKeyRepository } from './dedupe-key.repository';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';
import { InteractionsController } from './interactions.controller';
import { InteractionsIngestService } from './interactions-ingest.service';
import { JsonBodyParser } from './json-body.parser';
import { NewsController } from './news.controller';
import { NewsIngestService } from './news-ingest.service';
import { OpenApiController } from './openapi.controller';
import { Pseudonymizer } from '@mercato/privacy';
import { RawEventPublisher } from './raw-event.publisher';
import { FeatureUsersClient } from './feature-users.client';
import { UsersController } from './users.controller';

@Module({})
export class IngestModule {
  static forRoot(settings: IngestSettings): DynamicModule {
    return {
      module: IngestModule,
      controllers: [
        NewsController,
        InteractionsController,
        CatalogController,
        UsersController,
        OpenApiController,
      ],
      providers: [
        { provide: INGEST_SETTINGS, useValue: settings },
        { provide: Pseudonymizer, useValue: new Pseudonymizer(settings.pseudonymizationKey) },
        JsonBodyParser,
        DedupeKeyRepository,
        RawEventPublisher,
        DedupeCleanup,
        NewsIngestService,
        InteractionsIngestService,
        CatalogIngestService,
        FeatureUsersClient,
      ],
    };
  }
}
