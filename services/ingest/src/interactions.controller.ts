// HTTP: POST /v1/interactions, a batch of user interactions.
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { JsonBody } from '@mercato/runtime';
import { BatchResponses, InteractionsBatchDoc } from './api-docs';
import { batchOf } from './batch-envelope';
import type { BatchResult } from './batch-result';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';
import { InteractionsIngestService } from './interactions-ingest.service';

@ApiTags('recommendations')
@Controller('v1/interactions')
export class InteractionsController {
  constructor(
    private readonly interactions: InteractionsIngestService,
    @Inject(INGEST_SETTINGS) private readonly settings: IngestSettings,
  ) {}

  @RequireScopes('interactions:write')
  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Ingest a batch of user interactions',
    description:
      'User ids are replaced by a keyed HMAC-SHA256 pseudonym on arrival; the raw id is not stored or ' +
      'forwarded. Accepted interactions are on interactions.raw.v1 (key: pseudonym) before the answer ' +
      'is sent, each with an event id derived from (pseudonym, item, type, timestamp), so retries ' +
      'dedupe downstream. The result id of an interaction is that event id.',
  })
  @JsonBody(InteractionsBatchDoc, '{ "interactions": [ … ] }')
  @BatchResponses()
  async ingest(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<BatchResult> {
    return this.interactions.ingest(
      principal.tenantId,
      batchOf(body, 'interactions', this.settings.maxBatch),
    );
  }
}
