// Webhook subscriptions: created with a generated id and secret (the secret is returned once, in
// the create response) once the URL passes the egress policy, listed and deleted per tenant, with
// their recent deliveries.
import { invalidField, notFound } from '@mercato/runtime';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { CreateWebhookBody } from './api.dto';
import { toDeliveryView, toSubscriptionView, type DeliveryView, type SubscriptionView } from './api.views';
import { monitorMetrics } from './monitor-metrics';
import { WebhookRepository } from './webhook.repository';
import { EgressPolicy, EgressRefusedError } from './webhook-egress';
import { newWebhookSecret } from './webhook-signature';

@Injectable()
export class WebhookService {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly egress: EgressPolicy,
  ) {}

  async create(body: CreateWebhookBody, tenantId: string): Promise<SubscriptionView & { secret: string }> {
    try {
      await this.egress.admittedAddresses(new URL(body.url));
    } catch (err) {
      if (!(err instanceof EgressRefusedError)) throw err;
      monitorMetrics.webhookRefused.inc({ rule: err.rule });
      throw invalidField('url', err.message, 'egress_refused');
    }
    const secret = newWebhookSecret();
    const created = await this.webhooks.create({
      id: randomUUID(),
      tenantId,
      url: body.url,
      secret,
      tickers: [...new Set(body.tickers)],
      directions: [...new Set(body.directions)],
      minSeverity: body.minSeverity,
      description: body.description,
    });
    return { ...toSubscriptionView(created), secret };
  }

  async list(tenantId: string): Promise<SubscriptionView[]> {
    return (await this.webhooks.list(tenantId)).map(toSubscriptionView);
  }

  async get(id: string, tenantId: string): Promise<SubscriptionView> {
    const found = await this.webhooks.get(tenantId, id);
    if (!found) throw notFound(`no webhook subscription ${id}`);
    return toSubscriptionView(found);
  }

  async delete(id: string, tenantId: string): Promise<void> {
    if (!(await this.webhooks.delete(tenantId, id))) throw notFound(`no webhook subscription ${id}`);
  }

  async deliveries(id: string, limit: number, tenantId: string): Promise<DeliveryView[]> {
    await this.get(id, tenantId);
    return (await this.webhooks.deliveries(tenantId, id, limit)).map(toDeliveryView);
  }
}
