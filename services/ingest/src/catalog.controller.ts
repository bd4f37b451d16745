// HTTP: PUT /v1/catalog/items, a batch of catalog items (each the item's full current state).
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Body, Controller, HttpCode, Inject, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { JsonBody } from '@mercato/runtime';
import { BatchResponses, CatalogBatchDoc } from './api-docs';
import { batchOf } from './batch-envelope';
import type { BatchResult } from './batch-result';
import { CatalogIngestService } from './catalog-ingest.service';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';

@ApiTags('recommendations')
@Controller('v1/catalog/items')
export class CatalogController {
  constructor(
    private readonly catalog: CatalogIngestService,
    @Inject(INGEST_SETTINGS) private readonly settings: IngestSettings,
  ) {}

  @RequireScopes('catalog:write')
  @Put()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Create or replace catalog items',
    description:
      'Each item is its full current state; accepted items are on the compacted topic catalog.items.v1 ' +
      '(key: tenant id/item id) before the answer is sent.',
  })
  @JsonBody(CatalogBatchDoc, '{ "items": [ … ] }')
  @BatchResponses()
  async upsert(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<BatchResult> {
    return this.catalog.ingest(principal.tenantId, batchOf(body, 'items', this.settings.maxBatch));
  }
}
