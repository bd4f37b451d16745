// The OpenAPI document of the scoring service's HTTP API at /v1/openapi.json, built by @nestjs/swagger
// from the controllers' decorators. SwaggerModule.setup cannot be used: it needs the app before
// listen, and bootstrapService listens itself.
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
      .setTitle('Mercato scoring')
      .setDescription(
        'Synchronous sentiment scoring with the production model (the same model that scores ' +
          'news.enriched.v1 into news.scored.v1), with the tokens that drove each decision.',
      )
      .setVersion('1')
      .build();
    this.document = SwaggerModule.createDocument(app, config);
    return this.document;
  }
}
