// HTTP: the tenant's experiment runs (every training job's attempt, triggered retrains, imported
// offline runs) with their parameters and metric series, and the import of an offline run. Reading
// needs training:read and importing training:write: runs are the training service's record of the
// same jobs those scopes already cover. Another tenant's run is not found (404).
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import type { z } from '@mercato/config';
import {
  ErrorResponses,
  JsonBody,
  JsonResponse,
  QueryParams,
  ValidBody,
  ValidParam,
  ValidQuery,
} from '@mercato/runtime';
import { Controller, Get, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ImportedView,
  ImportRunBody,
  ListQuery,
  MetricsQuery,
  RunId,
  RunListView,
  RunMetricsView,
  RunView,
  type RunSummaryView,
} from './runs.dto';
import { RunsService } from './runs.service';

const RUN_ID = { name: 'runId', description: 'the run id (GET /v1/runs, a job’s runId, run.json)' };

@ApiTags('runs')
@Controller('v1/runs')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @RequireScopes('training:read')
  @Get()
  @ApiOperation({
    summary: 'Experiment runs, newest first',
    description:
      'Every training run: jobs through the stack, triggered retrains and imported offline runs, with ' +
      'their status, final evaluation and the registry version they produced. With model and version: the ' +
      'run that produced that registry version.',
  })
  @QueryParams(ListQuery)
  @JsonResponse(200, 'runs', RunListView)
  @ErrorResponses([400, 'invalid filter or paging'])
  async list(
    @CurrentPrincipal() principal: Principal,
    @ValidQuery(ListQuery) query: z.output<typeof ListQuery>,
  ): Promise<{ items: RunSummaryView[]; limit: number; offset: number }> {
    const { limit, offset } = query;
    return { items: await this.runs.list(principal.tenantId, query), limit, offset };
  }

  @RequireScopes('training:write')
  @Post()
  @ApiOperation({
    summary: 'Import an offline run',
    description:
      'The run.json that `mercato train --offline` writes beside its model (`mercato runs import <folder>` ' +
      'sends it). It becomes a run of the credential’s tenant; importing the same runId again changes nothing (200).',
  })
  @JsonBody(ImportRunBody)
  @JsonResponse(201, 'imported', ImportedView)
  @JsonResponse(200, 'already imported: unchanged', ImportedView)
  @ErrorResponses([400, 'not a valid run record: every problem is listed with its field'], [413, 'too large'])
  async import(
    @CurrentPrincipal() principal: Principal,
    @ValidBody(ImportRunBody) body: z.output<typeof ImportRunBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<z.infer<typeof ImportedView>> {
    const result = await this.runs.import(principal.tenantId, body, principal.subject);
    void reply.status(result.imported ? 201 : 200);
    return result;
  }

  @RequireScopes('training:read')
  @Get(':runId')
  @ApiOperation({ summary: 'A run: parameters, final evaluation, outcome and its metric series' })
  @ApiParam(RUN_ID)
  @JsonResponse(200, 'the run', RunView)
  @ErrorResponses([400, 'malformed run id'], [404, 'no such run for this tenant'])
  async get(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('runId', RunId) runId: string,
  ): Promise<RunView> {
    return this.runs.get(principal.tenantId, runId);
  }

  @RequireScopes('training:read')
  @Get(':runId/metrics')
  @ApiOperation({
    summary: 'A run’s metric series, point by point',
    description:
      'Series are named by their axis: epoch/* per epoch (loss, val_macro_f1, …), step/* per optimizer ' +
      'step (loss, learning_rate, samples_per_second), labeling/* per text a teacher labeled. Values are ' +
      'numbers or "NaN", "Infinity", "-Infinity".',
  })
  @ApiParam(RUN_ID)
  @QueryParams(MetricsQuery)
  @JsonResponse(200, 'the series', RunMetricsView)
  @ErrorResponses([400, 'malformed run id or name'], [404, 'no such run for this tenant, or no such series'])
  async metrics(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('runId', RunId) runId: string,
    @ValidQuery(MetricsQuery) query: z.output<typeof MetricsQuery>,
  ): Promise<RunMetricsView> {
    return this.runs.metrics(principal.tenantId, runId, query.name);
  }
}
