// HTTP routes for models and their aliases under /v1/models: validate with zod (400 naming the field
// and reason), call the services, pick the status code.
import { z } from '@mercato/config';
import { ErrorResponses, JsonBody, JsonResponse, ValidBody, ValidParam, ValidQuery } from '@mercato/runtime';
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PromoteBody, RetrainFailureBody, RollbackBody } from './alias.dto';
import { MODEL_ALIASES, type ModelAlias, MODEL_KINDS, MODEL_NAME_PATTERN } from '@mercato/contracts';
import { AliasParam, CreateModelBody, ListModelsQuery, ModelName, Paging } from './model.dto';
import { ModelRegistryService } from './model-registry.service';
import { PromotionService } from './promotion.service';
import {
  AliasHistoryView,
  AliasView,
  ListView,
  ModelDetailView,
  ModelView,
  PromotionView,
  type ModelDetailView as ModelDetail,
} from './registry.views';

const NAME = { name: 'name', description: `model name (${MODEL_NAME_PATTERN.source})` };
const ALIAS = { name: 'alias', enum: MODEL_ALIASES };

@ApiTags('models')
@Controller('v1/models')
export class ModelsController {
  constructor(
    private readonly registry: ModelRegistryService,
    private readonly promotions: PromotionService,
  ) {}

  @RequireScopes('models:admin')
  @Post()
  @ApiOperation({ summary: 'Create a model' })
  @JsonBody(CreateModelBody)
  @JsonResponse(201, 'created', ModelView)
  @ErrorResponses([400, 'invalid name, kind or description'], [409, 'a model with this name exists'])
  async create(
    @CurrentPrincipal() principal: Principal,
    @ValidBody(CreateModelBody) body: z.output<typeof CreateModelBody>,
  ): Promise<ModelView> {
    return this.registry.createModel(principal, body);
  }

  @RequireScopes('models:read')
  @Get()
  @ApiOperation({ summary: 'List models with their aliases' })
  @ApiQuery({ name: 'kind', required: false, enum: MODEL_KINDS })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', default: 100, maximum: 1000 } })
  @ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', default: 0 } })
  @JsonResponse(200, 'models, by name', ListView(ModelView))
  @ErrorResponses([400, 'invalid query'])
  async list(
    @CurrentPrincipal() principal: Principal,
    @ValidQuery(ListModelsQuery) q: z.output<typeof ListModelsQuery>,
  ): Promise<{ items: ModelView[]; limit: number; offset: number }> {
    return { items: await this.registry.listModels(principal.tenantId, q), limit: q.limit, offset: q.offset };
  }

  @RequireScopes('models:read')
  @Get(':name')
  @ApiOperation({ summary: 'A model with its aliases and latest versions' })
  @ApiParam(NAME)
  @JsonResponse(200, 'the model', ModelDetailView)
  @ErrorResponses([400, 'malformed name'], [404, 'no such model'])
  async get(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
  ): Promise<ModelDetail> {
    return this.registry.getModel(principal.tenantId, name);
  }

  @RequireScopes('models:read')
  @Get(':name/aliases/:alias')
  @ApiOperation({ summary: 'The version an alias points to' })
  @ApiParam(NAME)
  @ApiParam(ALIAS)
  @JsonResponse(200, 'the version', AliasView)
  @ErrorResponses(
    [400, 'malformed name or unknown alias name'],
    [404, 'no such model, or the alias is not set'],
  )
  async resolve(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidParam('alias', AliasParam) alias: ModelAlias,
  ): Promise<AliasView> {
    return this.promotions.resolve(principal.tenantId, name, alias);
  }

  @RequireScopes('models:read')
  @Get(':name/aliases/:alias/history')
  @ApiOperation({ summary: 'Every move of an alias, newest first' })
  @ApiParam(NAME)
  @ApiParam(ALIAS)
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', default: 100, maximum: 1000 } })
  @ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', default: 0 } })
  @JsonResponse(200, 'history entries', ListView(AliasHistoryView))
  @ErrorResponses([400, 'malformed name or unknown alias name'], [404, 'no such model'])
  async history(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidParam('alias', AliasParam) alias: ModelAlias,
    @ValidQuery(Paging) paging: z.output<typeof Paging>,
  ): Promise<{ items: AliasHistoryView[]; limit: number; offset: number }> {
    const items = await this.promotions.history(principal.tenantId, name, alias, paging);
    return { items, ...paging };
  }

  @RequireScopes('models:admin')
  @Post(':name/promote')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Point an alias (default production) at a version',
    description:
      'With `policy` — or, when the request has none and `force` is false, the default policy of the ' +
      "model's kind (PROMOTION_POLICY_SENTIMENT / PROMOTION_POLICY_RECOMMENDER) — the version must beat the " +
      'alias holder on the metric by at least the margin. With `online` (figures the serving service ' +
      'measured on live traffic) those decide instead, against their own minimum sample and margin. ' +
      '200 with outcome "promoted" or "unchanged"; ' +
      '409 with outcome "rejected" and the reason when the policy refuses (the alias does not move).',
  })
  @ApiParam(NAME)
  @JsonBody(PromoteBody)
  @JsonResponse(200, 'promoted, or unchanged (the alias already pointed there)', PromotionView)
  @JsonResponse(
    409,
    'rejected by the promotion policy (or the version is archived, or the alias left fromVersion)',
    PromotionView,
  )
  @ErrorResponses([400, 'invalid request'], [404, 'no such model or version'])
  async promote(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidBody(PromoteBody) body: z.output<typeof PromoteBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PromotionView> {
    const view = await this.promotions.promote(principal, name, body);
    if (view.outcome === 'rejected') void reply.status(409);
    return view;
  }

  @RequireScopes('models:admin')
  @Post(':name/rollback')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Move an alias back to the version it held before its latest promotion',
    description:
      'Rollbacks walk back through the promotions still in effect: two rollbacks after v1→v2→v3 return to v1.',
  })
  @ApiParam(NAME)
  @JsonBody(RollbackBody)
  @JsonResponse(200, 'rolled back', PromotionView)
  @ErrorResponses(
    [400, 'invalid request'],
    [404, 'no such model'],
    [409, 'nothing to roll back to, the earlier version is archived, or the alias left fromVersion'],
  )
  async rollback(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidBody(RollbackBody) body: z.output<typeof RollbackBody>,
  ): Promise<PromotionView> {
    return this.promotions.rollback(principal, name, body);
  }

  @RequireScopes('models:admin')
  @Post(':name/retrain-failures')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Record that a retrain meant to replace the alias holder failed',
    description:
      'The training service calls it when a promote-if-better job fails: the alias does not move; the ' +
      'failure is alias history (action retrain_failed, the reason) and a RETRAIN_FAILED lifecycle event.',
  })
  @ApiParam(NAME)
  @JsonBody(RetrainFailureBody)
  @JsonResponse(200, 'recorded', PromotionView)
  @ErrorResponses([400, 'invalid request'], [404, 'no such model'], [409, 'the alias holds no version'])
  async retrainFailed(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidBody(RetrainFailureBody) body: z.output<typeof RetrainFailureBody>,
  ): Promise<PromotionView> {
    return this.promotions.retrainFailed(principal, name, body);
  }
}
