// Webhook subscriptions: created with a generated id and secret (the secret is returned once, in
// the create response), listed and deleted per tenant, with their recent deliveries.
import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { randomUUID } from 'node:crypto';
import type { CreateWebhookBody } from './api.dto';
import { toDeliveryView, toSubscriptionView, type DeliveryView, type SubscriptionView } from './api.views';
import { notFound } from './http-errors';
import type { MonitorConfig } from './monitor.config';
import { WebhookRepository } from './webhook.repository';
import { newWebhookSecret } from './webhook-signature';

@Injectable()
export class WebhookService {
  constructor(
    private readonly webhooks: WebhookRepository,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorConfig,
  ) {}

  private tenant(tenant: string | undefined): string {
    return tenant ?? this.config.TENANT_ID;
  }

  async create(body: CreateWebhookBody, tenant?: string): Promise<SubscriptionView & { secret: string }> {
    const secret = newWebhookSecret();
    const created = await this.webhooks.create({
      id: randomUUID(),
      tenantId: this.tenant(tenant),
      url: body.url,
      secret,
      tickers: [...new Set(body.tickers)],
      directions: [...new Set(body.directions)],
      minSeverity: body.minSeverity,
      description: body.description,
    });
    return { ...toSubscriptionView(created), secret };
  }

  async list(tenant?: string): Promise<SubscriptionView[]> {
    return (await this.webhooks.list(this.tenant(tenant))).map(toSubscriptionView);
  }

  async get(id: string, tenant?: string): Promise<SubscriptionView> {
    const found = await this.webhooks.get(this.tenant(tenant), id);
    if (!found) throw notFound(`no webhook subscription ${id}`);
    return toSubscriptionView(found);
  }

  async delete(id: string, tenant?: string): Promise<void> {
    if (!(await this.webhooks.delete(this.tenant(tenant), id)))
      throw notFound(`no webhook subscription ${id}`);
  }

  async deliveries(id: string, limit: number, tenant?: string): Promise<DeliveryView[]> {
    await this.get(id, tenant);
    return (await this.webhooks.deliveries(this.tenant(tenant), id, limit)).map(toDeliveryView);
  }
}
