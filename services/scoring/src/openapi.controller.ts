// The OpenAPI document of the scoring service's HTTP API at /v1/openapi.json, built by @nestjs/swagger
// from the controllers' decorators. SwaggerModule.setup cannot be used: it needs the app before
// listen, and bootstrapService listens itself.
import { Public } from '@mercato/auth';
import { Controller, Get } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ApiExcludeController, type OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument } from '@mercato/runtime';

@ApiExcludeController()
@Public()
@Controller()
export class OpenApiController {
  private document: OpenAPIObject | undefined;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('v1/openapi.json')
  openApi(): OpenAPIObject {
    if (this.document) return this.document;
    this.document = buildOpenApiDocument(this.moduleRef, this.adapterHost, {
      title: 'Mercato scoring',
      description:
        'Synchronous sentiment scoring with the production model (the same model that scores ' +
        'news.enriched.v1 into news.scored.v1), with the tokens that drove each decision.',
    });
    return this.document;
  }
}
