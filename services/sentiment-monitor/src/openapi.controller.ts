// The OpenAPI document of the monitor's HTTP API at /v1/openapi.json, built by @nestjs/swagger from
// the controllers' decorators (which come from the zod schemas), plus the webhook payload schema.
// SwaggerModule.setup cannot be used: it needs the app before listen, and bootstrapService listens.
import { Public } from '@mercato/auth';
import { Controller, Get } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ApiExcludeController, type OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument } from '@mercato/runtime';
import { openApiSchema } from './api-docs';
import { WebhookPayloadView } from './api.views';

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
    const document = buildOpenApiDocument(this.moduleRef, this.adapterHost, {
      title: 'Mercato sentiment monitor',
      description:
        'Per-ticker sentiment in event-time windows, surge alerts against each ticker’s own baseline, ' +
        'signed webhooks and a live alert stream. Alerts are also published on sentiment.alerts.v1. ' +
        'Every 400 body is { message, errors: [{ field, reason }] }. The dashboard is at /.',
    });
    document.components = {
      ...document.components,
      schemas: { ...document.components?.schemas, WebhookPayload: openApiSchema(WebhookPayloadView) },
    };
    this.document = document;
    return document;
  }
}
