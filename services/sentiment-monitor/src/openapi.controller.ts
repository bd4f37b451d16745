// The OpenAPI document of the monitor's HTTP API at /v1/openapi.json, plus the webhook payload
// schema (webhook deliveries are not a route, so the generator would not see it).
import { openApiController, openApiSchema } from '@mercato/runtime';
import { WebhookPayloadView } from './api.views';

export const OpenApiController = openApiController({
  title: 'Mercato sentiment monitor',
  description:
    'Per-ticker sentiment in event-time windows, surge alerts against each ticker’s own baseline, ' +
    'signed webhooks and a live alert stream. Alerts are also published on sentiment.alerts.v1. ' +
    'Every error body is { statusCode, error, message, errors: [{ field, reason }] }. The dashboard is at /.',
  extend: (document) => ({
    ...document,
    components: {
      ...document.components,
      schemas: { ...document.components?.schemas, WebhookPayload: openApiSchema(WebhookPayloadView) },
    },
  }),
});
