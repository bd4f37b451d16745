// HTTP routes for the versions of a model and their artifact files under /v1/models/{name}/versions:
// validate with zod (400 naming the field and reason), call the registry service, pick the status.
import { z } from '@mercato/config';
import { MODEL_NAME_PATTERN } from '@mercato/contracts';
import {
  ErrorResponses,
  invalidInput,
  JsonBody,
  JsonResponse,
  ValidBody,
  ValidParam,
  ValidQuery,
} from '@mercato/runtime';
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ArchiveBody } from './alias.dto';
import { artifactPathProblem } from './artifact-path';
import { ModelName, Paging, VersionNumber } from './model.dto';
import { ModelRegistryService } from './model-registry.service';
import { PromotionService } from './promotion.service';
import { RegisterVersionBody } from './register-version.dto';
import { ArchiveView, LineageView, ListView, VersionSummaryView, VersionView } from './registry.views';

const NAME = { name: 'name', description: `model name (${MODEL_NAME_PATTERN.source})` };
const VERSION = { name: 'version', schema: { type: 'integer' as const, minimum: 1 } };

@ApiTags('versions')
@Controller('v1/models/:name/versions')
export class ModelVersionsController {
  constructor(
    private readonly registry: ModelRegistryService,
    private readonly promotions: PromotionService,
  ) {}

  @RequireScopes('models:admin')
  @Post()
  @ApiOperation({
    summary: 'Register a version with its artifact files',
    description:
      'All-or-nothing: the version and every file commit in one transaction. Files are base64 in JSON ' +
      '(up to 256 MB per request); model.json (TF.js LayersModel) and manifest.json are required and every ' +
      'weight shard model.json names must be included. Paths are relative, normalized, without "..", ' +
      'backslashes or a leading "/". Retrying with the same idempotencyKey returns the same version (200).',
  })
  @ApiParam(NAME)
  @JsonBody(RegisterVersionBody)
  @JsonResponse(201, 'registered', VersionView)
  @JsonResponse(200, 'already registered with this idempotencyKey: the same version', VersionView)
  @ErrorResponses(
    [400, 'invalid request: every problem is listed with its field'],
    [404, 'no such model'],
    [409, 'the idempotencyKey was used for a different registration'],
    [413, 'request larger than 256 MB'],
  )
  async register(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidBody(RegisterVersionBody) body: z.output<typeof RegisterVersionBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<VersionView> {
    const { created, version } = await this.registry.registerVersion(principal, name, body);
    void reply.status(created ? 201 : 200);
    return version;
  }

  @RequireScopes('models:read')
  @Get()
  @ApiOperation({ summary: 'Versions of a model, newest first' })
  @ApiParam(NAME)
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', default: 100, maximum: 1000 } })
  @ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', default: 0 } })
  @JsonResponse(200, 'versions', ListView(VersionSummaryView))
  @ErrorResponses([400, 'malformed name or paging'], [404, 'no such model'])
  async list(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidQuery(Paging) paging: z.output<typeof Paging>,
  ): Promise<{ items: VersionSummaryView[]; limit: number; offset: number }> {
    const items = await this.registry.listVersions(principal.tenantId, name, paging);
    return { items, ...paging };
  }

  @RequireScopes('models:read')
  @Get(':version')
  @ApiOperation({ summary: 'A version: metrics, lineage and its files with SHA-256 and size' })
  @ApiParam(NAME)
  @ApiParam(VERSION)
  @JsonResponse(200, 'the version', VersionView)
  @ErrorResponses([400, 'malformed name or version'], [404, 'no such model or version'])
  async get(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidParam('version', VersionNumber) version: number,
  ): Promise<VersionView> {
    return this.registry.getVersion(principal.tenantId, name, version);
  }

  @RequireScopes('models:read')
  @Get(':version/lineage')
  @ApiOperation({
    summary: "A version's lineage in one call",
    description:
      'The training dataset snapshot (reference, hash, feature-store as_of/split_at, sizes), the analyst ' +
      'feedback it saw, the code version, backend, run and training request, its parent or teachers, the ' +
      'production version it was judged against on the same held-out data, and every promotion decision about it.',
  })
  @ApiParam(NAME)
  @ApiParam(VERSION)
  @JsonResponse(200, 'the lineage', LineageView)
  @ErrorResponses([400, 'malformed name or version'], [404, 'no such model or version'])
  async lineage(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidParam('version', VersionNumber) version: number,
  ): Promise<LineageView> {
    return this.promotions.lineage(principal.tenantId, name, version);
  }

  @RequireScopes('models:read')
  @Get(':version/files/*')
  @ApiOperation({
    summary: 'Download one artifact file',
    description:
      'The bytes are checked against the SHA-256 recorded at registration on every download and sent ' +
      'with an x-checksum-sha256 header; bytes that no longer match are refused with 500 artifact_corrupted.',
  })
  @ApiParam(NAME)
  @ApiParam(VERSION)
  @ApiParam({
    name: 'path',
    description: 'file path inside the artifact, e.g. model.json or group1-shard1of1.bin',
  })
  @ApiOkResponse({
    description: 'the bytes, with x-checksum-sha256 (hex), repr-digest and an immutable cache policy',
    content: {
      'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
      'application/json': { schema: { type: 'object', description: 'model.json, manifest.json' } },
    },
  })
  @ErrorResponses(
    [400, 'malformed name, version or path'],
    [404, 'no such model, version or file'],
    [500, 'the stored bytes fail their checksum (artifact_corrupted)'],
  )
  async download(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidParam('version', VersionNumber) version: number,
    @Param('*') path: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const model = name;
    const v = version;
    const problem = artifactPathProblem(path ?? '');
    if (problem) throw invalidInput([{ field: 'path', reason: problem }]);
    const file = await this.registry.readFile(principal.tenantId, model, v, path);
    void reply
      .header('content-type', file.contentType)
      .header('content-length', String(file.size))
      .header('x-checksum-sha256', file.sha256)
      .header('repr-digest', `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`)
      .header('etag', `"${file.sha256}"`)
      // A version's files never change, but they are a tenant's: only the caller's own cache keeps them.
      .header('cache-control', 'private, max-age=31536000, immutable');
    return file.content;
  }

  @RequireScopes('models:admin')
  @Post(':version/archive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Archive a version no alias points to (it can no longer be promoted)' })
  @ApiParam(NAME)
  @ApiParam(VERSION)
  @JsonBody(ArchiveBody)
  @JsonResponse(200, 'archived (or already archived: unchanged)', ArchiveView)
  @ErrorResponses(
    [400, 'invalid request'],
    [404, 'no such model or version'],
    [409, 'an alias points to the version'],
  )
  async archive(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('name', ModelName) name: string,
    @ValidParam('version', VersionNumber) version: number,
    @ValidBody(ArchiveBody) body: z.output<typeof ArchiveBody>,
  ): Promise<ArchiveView> {
    return this.registry.archiveVersion(principal, name, version, body);
  }
}
