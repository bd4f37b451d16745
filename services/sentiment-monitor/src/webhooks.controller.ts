// HTTP: webhook subscriptions (create returns the signing secret once) and their deliveries.
import {
  ErrorResponses,
  JsonBody,
  JsonResponse,
  QueryParams,
  ValidBody,
  ValidParam,
  ValidQuery,
} from '@mercato/runtime';
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from '@mercato/config';
import { CreateWebhookBody, Id } from './api.dto';
import { CreatedSubscriptionView, DeliveryView, ItemsView, SubscriptionView } from './api.views';
import { WebhookService } from './webhook.service';

const ID = { name: 'id', format: 'uuid' };
const DeliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(100) });

@ApiTags('webhooks')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookService) {}

  @RequireScopes('webhooks:admin')
  @Post()
  @ApiOperation({
    summary: 'Subscribe a URL to alerts',
    description:
      'Each matching alert is POSTed as JSON with ' +
      '`x-mercato-signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>`, ' +
      '`x-mercato-timestamp` (Unix seconds, also signed as the body’s sentAt) and `x-mercato-event-id` ' +
      '(the alert id, to dedupe retries). Non-2xx answers are retried with exponential backoff. The secret ' +
      'is in this response only. The body is `#/components/schemas/WebhookPayload`.',
  })
  @JsonBody(CreateWebhookBody)
  @JsonResponse(201, 'created, with its secret', CreatedSubscriptionView)
  @ErrorResponses([400, 'bad url, tickers, directions or minSeverity'])
  async create(
    @CurrentPrincipal() principal: Principal,
    @ValidBody(CreateWebhookBody) body: z.output<typeof CreateWebhookBody>,
  ): Promise<z.infer<typeof CreatedSubscriptionView>> {
    return this.webhooks.create(body, principal);
  }

  @RequireScopes('webhooks:admin')
  @Get()
  @ApiOperation({ summary: 'Webhook subscriptions (without secrets)' })
  @JsonResponse(200, 'subscriptions', ItemsView(SubscriptionView))
  async list(@CurrentPrincipal() principal: Principal): Promise<{ items: SubscriptionView[] }> {
    return { items: await this.webhooks.list(principal.tenantId) };
  }

  @RequireScopes('webhooks:admin')
  @Get(':id')
  @ApiOperation({ summary: 'One webhook subscription (without its secret)' })
  @ApiParam(ID)
  @JsonResponse(200, 'the subscription', SubscriptionView)
  @ErrorResponses([400, 'malformed id'], [404, 'no such subscription'])
  async get(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('id', Id) id: string,
  ): Promise<SubscriptionView> {
    return this.webhooks.get(id, principal.tenantId);
  }

  @RequireScopes('webhooks:admin')
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unsubscribe (pending deliveries are dropped)' })
  @ApiParam(ID)
  @JsonResponse(204, 'deleted')
  @ErrorResponses([400, 'malformed id'], [404, 'no such subscription'])
  async delete(@CurrentPrincipal() principal: Principal, @ValidParam('id', Id) id: string): Promise<void> {
    await this.webhooks.delete(id, principal);
  }

  @RequireScopes('webhooks:admin')
  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Recent deliveries of a subscription, newest first, with their state' })
  @ApiParam(ID)
  @QueryParams(DeliveriesQuery)
  @JsonResponse(200, 'deliveries', ItemsView(DeliveryView))
  @ErrorResponses([400, 'malformed id or limit'], [404, 'no such subscription'])
  async deliveries(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('id', Id) id: string,
    @ValidQuery(DeliveriesQuery) query: z.output<typeof DeliveriesQuery>,
  ): Promise<{ items: DeliveryView[] }> {
    const { limit } = query;
    return { items: await this.webhooks.deliveries(id, limit, principal.tenantId) };
  }
}
