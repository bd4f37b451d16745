// HTTP: POST /v1/news, a batch of articles.
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { JsonBody } from '@mercato/runtime';
import { BatchResponses, NewsBatchDoc } from './api-docs';
import { batchOf } from './batch-envelope';
import type { BatchResult } from './batch-result';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';
import { NewsIngestService } from './news-ingest.service';

@ApiTags('news')
@Controller('v1/news')
export class NewsController {
  constructor(
    private readonly news: NewsIngestService,
    @Inject(INGEST_SETTINGS) private readonly settings: IngestSettings,
  ) {}

  @RequireScopes('news:write')
  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Ingest a batch of news articles',
    description:
      'Each article is validated on its own. Accepted articles are on news.raw.v1 (key: article id) ' +
      'before the answer is sent. An article whose source and id, or whose normalized headline and ' +
      'body, was received within INGEST_DEDUPE_WINDOW_H hours (72 by default) is a duplicate and is ' +
      'not published again, so sending a batch twice is safe.',
  })
  @JsonBody(NewsBatchDoc, '{ "articles": [ … ] }')
  @BatchResponses()
  async ingest(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<BatchResult> {
    return this.news.ingest(principal.tenantId, batchOf(body, 'articles', this.settings.maxBatch));
  }
}
