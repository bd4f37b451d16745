// HTTP: the point-in-time-correct training datasets of the caller's tenant, streamed as NDJSON
// (application/x-ndjson) straight from a database cursor. The first page is read before the
// status is sent, so a failure to start answers 500 instead of an empty 200.
import { z } from '@mercato/config';
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { SERVICE_LOGGER, ValidQuery } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { DatasetExportRepository } from './dataset-export.repository';
import { interactionLine, itemLine, ndjson, sentimentFeedbackLine } from './dataset-lines';
import { InteractionsDatasetQuery, AsOfDatasetQuery } from './http-validation';
import { recsMetrics } from './recs-metrics';

@Controller('v1/datasets')
export class DatasetsController {
  constructor(
    private readonly exports: DatasetExportRepository,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  @Get('interactions')
  @RequireScopes('datasets:read')
  async interactions(
    @ValidQuery(InteractionsDatasetQuery) q: z.output<typeof InteractionsDatasetQuery>,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const pages = this.exports.interactions(principal.tenantId, q.as_of ?? new Date(), q.split_at);
    await this.stream(
      reply,
      'interactions',
      ndjson(pages, interactionLine, (n) => this.count('interactions', n)),
    );
  }

  @Get('items')
  @RequireScopes('datasets:read')
  async items(
    @ValidQuery(AsOfDatasetQuery) q: z.output<typeof AsOfDatasetQuery>,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const pages = this.exports.items(principal.tenantId, q.as_of ?? new Date());
    await this.stream(
      reply,
      'items',
      ndjson(pages, itemLine, (n) => this.count('items', n)),
    );
  }

  /** Analysts' sentiment corrections: the latest label of each distinct text as of the point in time. */
  @Get('sentiment-feedback')
  @RequireScopes('datasets:read')
  async sentimentFeedback(
    @ValidQuery(AsOfDatasetQuery) q: z.output<typeof AsOfDatasetQuery>,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const pages = this.exports.sentimentFeedback(principal.tenantId, q.as_of ?? new Date());
    await this.stream(
      reply,
      'sentiment-feedback',
      ndjson(pages, sentimentFeedbackLine, (n) => this.count('sentiment-feedback', n)),
    );
  }

  private count(dataset: string, rows: number): void {
    recsMetrics.exportedRows.inc({ dataset }, rows);
  }

  private async stream(reply: FastifyReply, dataset: string, chunks: AsyncGenerator<string>): Promise<void> {
    const first = await chunks.next();
    async function* all(): AsyncGenerator<string> {
      if (first.done) return;
      yield first.value;
      yield* chunks;
    }
    const body = Readable.from(all());
    body.on('error', (err) =>
      this.logger.error({ dataset, err: err.message }, 'dataset export failed mid-stream'),
    );
    await reply.header('content-type', 'application/x-ndjson; charset=utf-8').send(body);
  }
}
