// The OpenAPI document of the registry's HTTP API (built by @nestjs/swagger from the controllers'
// decorators) at /docs-json and /v1/openapi.json, and a Swagger UI page at /docs. SwaggerModule.setup
// cannot be used: it needs the app before listen (bootstrapService listens itself) and serves the UI
// through @fastify/static, which is not installed; the UI's three assets are served here instead.
import { Public } from '@mercato/auth';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ApiExcludeController, type OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument } from '@mercato/runtime';
import type { FastifyReply } from 'fastify';

const UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

const UI_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Mercato model registry API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/docs-json', dom_id: '#ui', presets: [SwaggerUIBundle.presets.apis] });</script>
</body></html>`;

@ApiExcludeController()
@Public()
@Controller()
export class OpenApiController {
  private document: OpenAPIObject | undefined;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('docs-json')
  openApiJson(): OpenAPIObject {
    return this.build();
  }

  @Get('v1/openapi.json')
  openApiV1(): OpenAPIObject {
    return this.build();
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  ui(): string {
    return UI_PAGE;
  }

  @Get('docs/:asset')
  async asset(
    @Param('asset') asset: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const type = UI_ASSETS[asset];
    if (!type) throw new NotFoundException();
    const root = dirname(
      require.resolve('swagger-ui-dist/package.json', { paths: [require.resolve('@nestjs/swagger')] }),
    );
    void reply.header('content-type', type).header('cache-control', 'public, max-age=86400');
    return readFile(join(root, asset));
  }

  private build(): OpenAPIObject {
    if (this.document) return this.document;
    this.document = buildOpenApiDocument(this.moduleRef, this.adapterHost, {
      title: 'Mercato model registry',
      description:
        'Models, versions with metrics and lineage, TF.js artifacts with SHA-256 checksums, aliases ' +
        '(production, staging, shadow) with promotion policies, rollback and history. Every change is ' +
        'published as a ModelEvent on models.lifecycle.v1.',
    });
    return this.document;
  }
}
