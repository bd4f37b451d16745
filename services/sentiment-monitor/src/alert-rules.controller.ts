// HTTP: a tenant's surge rules — read them, replace them (a new version, effective from the next
// batch without a restart), list and read past versions. Scope alerts:admin.
import { z } from '@mercato/config';
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import {
  ErrorResponses,
  JsonBody,
  JsonResponse,
  parseInput,
  QueryParams,
  ValidParam,
  ValidQuery,
} from '@mercato/runtime';
import { Body, Controller, Get, Headers, Put } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { rulesDocument } from './alert-rules';
import { AlertRulesService } from './alert-rules.service';
import { ItemsView, RulesStateView, RulesVersionView, toRulesState, toRulesVersions } from './api.views';

// The documented document shape uses the default windows; requests are checked against the configured ones.
const DOC_SIZES = ['5m', '1h'];
const Version = z.coerce.number().int().min(1, 'must be a version number (1 or more)');
const IfMatch = z
  .string()
  .regex(/^\s*(W\/)?"?\d+"?\s*$/, 'must be the current rules version, e.g. "3" (0 when none is set)')
  .transform((v) => Number(v.replace(/\D/g, '')));
const VersionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(100) });

@ApiTags('alert rules')
@Controller('v1/alert-rules')
export class AlertRulesController {
  constructor(private readonly rules: AlertRulesService) {}

  @RequireScopes('alerts:admin')
  @Get()
  @ApiOperation({
    summary: 'The tenant’s surge rules',
    description:
      'The current version (0 while the deployment’s rules apply), the document as it was set, and the ' +
      'rules in effect: the defaults and each ticker with rules of its own.',
  })
  @JsonResponse(200, 'the rules', RulesStateView)
  async get(@CurrentPrincipal() principal: Principal): Promise<RulesStateView> {
    return toRulesState(await this.rules.current(principal.tenantId));
  }

  @RequireScopes('alerts:admin')
  @Put()
  @ApiOperation({
    summary: 'Replace the tenant’s surge rules',
    description:
      '`{ defaults, tickers: { <ticker>: overrides } }`, every field optional, laid over the deployment’s ' +
      'defaults. Stored as a new version and in effect from the next batch of records; windows already ' +
      'counted and the evidence gathered so far are kept. `If-Match: "<version>"` refuses the change (409) ' +
      'when the rules moved on since that version was read.',
  })
  @ApiHeader({ name: 'if-match', required: false, description: 'the version the change is based on' })
  @JsonBody(rulesDocument(DOC_SIZES))
  @JsonResponse(200, 'the new version', RulesStateView)
  @ErrorResponses([400, 'a bad field: named, with the reason'], [409, 'the rules changed since If-Match'])
  async put(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<RulesStateView> {
    const expected = ifMatch === undefined ? undefined : parseInput(IfMatch, ifMatch, 'If-Match');
    return toRulesState(await this.rules.replace(principal, body, expected));
  }

  @RequireScopes('alerts:admin')
  @Get('versions')
  @ApiOperation({ summary: 'Versions of the tenant’s rules, newest first' })
  @QueryParams(VersionsQuery)
  @JsonResponse(200, 'versions', ItemsView(RulesVersionView))
  @ErrorResponses([400, 'bad limit'])
  async versions(
    @CurrentPrincipal() principal: Principal,
    @ValidQuery(VersionsQuery) query: z.output<typeof VersionsQuery>,
  ): Promise<{ items: RulesVersionView[] }> {
    return { items: toRulesVersions(await this.rules.versions(principal.tenantId, query.limit)) };
  }

  @RequireScopes('alerts:admin')
  @Get('versions/:version')
  @ApiOperation({ summary: 'One version of the tenant’s rules' })
  @ApiParam({ name: 'version', type: 'integer' })
  @JsonResponse(200, 'the version', RulesStateView)
  @ErrorResponses([400, 'not a version number'], [404, 'no such version'])
  async version(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('version', Version) version: number,
  ): Promise<RulesStateView> {
    return toRulesState(await this.rules.atVersion(principal.tenantId, version));
  }
}
