// The model-registry service's own providers and controllers: HTTP controllers → services (logic) →
// repositories (Postgres, and the Kafka producer through the outbox relay).
import { Module } from '@nestjs/common';
import { AliasRepository } from './alias.repository';
import { ModelEventPublisher } from './model-event.publisher';
import { ModelRegistryService } from './model-registry.service';
import { ModelRepository } from './model.repository';
import { ModelVersionRepository } from './model-version.repository';
import { ModelVersionsController } from './model-versions.controller';
import { ModelsController } from './models.controller';
import { OpenApiController } from './openapi.controller';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository } from './outbox.repository';
import { PromotionService } from './promotion.service';

@Module({
  controllers: [ModelsController, ModelVersionsController, OpenApiController],
  providers: [
    ModelRepository,
    ModelVersionRepository,
    AliasRepository,
    OutboxRepository,
    ModelEventPublisher,
    OutboxRelay,
    ModelRegistryService,
    PromotionService,
  ],
})
export class ModelRegistryModule {}
