// Kafka entry: catalog.items.v1 → CatalogService, a fetched batch of one partition at a time.
import { Topics, type CatalogItem } from '@mercato/contracts';
import { OnTopicBatch, type DecodedRecord } from '@mercato/kafka';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CatalogService } from './catalog.service';

@Controller()
export class CatalogItemsHandler {
  constructor(private readonly catalog: CatalogService) {}

  @OnTopicBatch(Topics.catalogItems)
  async handle(@Payload() records: DecodedRecord<CatalogItem>[]): Promise<void> {
    await this.catalog.recordBatch(records);
  }
}
