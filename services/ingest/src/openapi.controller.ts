// The OpenAPI document of the ingest API at /v1/openapi.json, built by @nestjs/swagger from the
// controllers' decorators. SwaggerModule.setup cannot be used: it needs the app before listen
// (bootstrapService listens itself), so the document is built here from the module container.
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ApiExcludeController, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

@ApiExcludeController()
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
    // The scanner reads the module container and application config that an INestApplication holds;
    // inside the app they are reachable through the ModuleRef.
    const container = (this.moduleRef as unknown as { container: { applicationConfig: unknown } }).container;
    const app = {
      container,
      config: container.applicationConfig,
      getHttpAdapter: () => this.adapterHost.httpAdapter,
    } as unknown as INestApplication;
    const config = new DocumentBuilder()
      .setTitle('Mercato ingest')
      .setDescription(
        'Batches of news articles, user interactions and catalog items into the raw Kafka topics. ' +
          'Bodies are JSON in UTF-8 (application/json), at most INGEST_MAX_REQUEST_BYTES (5 MiB by ' +
          'default). Each record is validated on its own and answered accepted, duplicate or rejected ' +
          '(with every problem by field); accepted records are published, with acknowledgement from ' +
          'all in-sync replicas, before the 202 answer. A 503 means nothing of the batch was accepted: ' +
          'send it again.',
      )
      .setVersion('1')
      .build();
    this.document = SwaggerModule.createDocument(app, config);
    return this.document;
  }
}
