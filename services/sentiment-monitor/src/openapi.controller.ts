// The OpenAPI document of the monitor's HTTP API at /v1/openapi.json, built by @nestjs/swagger from
// the controllers' decorators (which come from the zod schemas), plus the webhook payload schema.
// SwaggerModule.setup cannot be used: it needs the app before listen, and bootstrapService listens.
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ApiExcludeController, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { openApiSchema } from './api-docs';
import { WebhookPayloadView } from './api.views';

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
      .setTitle('Mercato sentiment monitor')
      .setDescription(
        'Per-ticker sentiment in event-time windows, surge alerts against each ticker’s own baseline, ' +
          'signed webhooks and a live alert stream. Alerts are also published on sentiment.alerts.v1. ' +
          'Every 400 body is { message, errors: [{ field, reason }] }. The dashboard is at /.',
      )
      .setVersion('1')
      .build();
    const document = SwaggerModule.createDocument(app, config);
    document.components = {
      ...document.components,
      schemas: { ...document.components?.schemas, WebhookPayload: openApiSchema(WebhookPayloadView) },
    };
    this.document = document;
    return document;
  }
}
