// Webhook subscriptions: created with a generated id and secret (the secret is returned once, in
// the create response) once the URL passes the egress policy, listed and deleted per tenant, with
// their recent deliveries. Creations and deletions are audited with the caller's principal.
import type { Principal } from '@mercato/auth';
import { AuditLog, Database } from '@mercato/db';
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
    private readonly db: Database,
    private readonly webhooks: WebhookRepository,
    private readonly egress: EgressPolicy,
    private readonly audit: AuditLog,
  ) {}

  async create(
    body: CreateWebhookBody,
    principal: Principal,
  ): Promise<SubscriptionView & { secret: string }> {
    try {
      await this.egress.admittedAddresses(new URL(body.url));
    } catch (err) {
      if (!(err instanceof EgressRefusedError)) throw err;
      monitorMetrics.webhookRefused.inc({ rule: err.rule });
      throw invalidField('url', err.message, 'egress_refused');
    }
    const secret = newWebhookSecret();
    const created = await this.db.transaction(async (tx) => {
      const subscription = await this.webhooks.create(
        {
          id: randomUUID(),
          tenantId: principal.tenantId,
          url: body.url,
          secret,
          tickers: [...new Set(body.tickers)],
          directions: [...new Set(body.directions)],
          minSeverity: body.minSeverity,
          description: body.description,
        },
        tx,
      );
      // The host only: a customer's token may be in the URL's path or query.
      await this.audit.record(
        principal,
        {
          action: 'webhook.create',
          target: `webhook ${subscription.id}`,
          details: { host: new URL(body.url).host, tickers: subscription.tickers.length },
        },
        tx,
      );
      return subscription;
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

  async delete(id: string, principal: Principal): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await this.webhooks.delete(principal.tenantId, id, tx)))
        throw notFound(`no webhook subscription ${id}`);
      await this.audit.record(principal, { action: 'webhook.delete', target: `webhook ${id}` }, tx);
    });
  }

  async deliveries(id: string, limit: number, tenantId: string): Promise<DeliveryView[]> {
    await this.get(id, tenantId);
    return (await this.webhooks.deliveries(tenantId, id, limit)).map(toDeliveryView);
  }
}
