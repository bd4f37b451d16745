// The OpenAPI document of the ingest API at /v1/openapi.json, built by @nestjs/swagger from the
// controllers' decorators. SwaggerModule.setup cannot be used: it needs the app before listen
// (bootstrapService listens itself), so the document is built here from the module container.
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
      title: 'Mercato ingest',
      description:
        'Batches of news articles, user interactions and catalog items into the raw Kafka topics. ' +
        'Bodies are JSON in UTF-8 (application/json), at most INGEST_MAX_REQUEST_BYTES (5 MiB by ' +
        'default). Each record is validated on its own and answered accepted, duplicate or rejected ' +
        '(with every problem by field); accepted records are published, with acknowledgement from ' +
        'all in-sync replicas, before the 202 answer. A 503 means nothing of the batch was accepted: ' +
        'send it again.',
    });
    return this.document;
  }
}
