// Delivers pending webhook deliveries: claims due ones (a lease, so a crash mid-request only delays
// them), POSTs the signed JSON through the egress policy (webhook-sender.ts: the URL is resolved and
// checked again at every attempt), and records the outcome — delivered on 2xx, else retried with
// exponential backoff and jitter until WEBHOOK_MAX_ATTEMPTS, then given up ("failed"); a refused
// address is a failed attempt whose error names the rule. Woken after each batch that raised alerts,
// and on a timer for retries and for work another process left. A step that delivers is a trace of
// its own, linked to the alerts' article traces.
import { Inject, Injectable } from '@nestjs/common';
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import { traceWork, type Logger } from '@mercato/telemetry';
import { AlertSignals } from './alert-signals';
import { toAlertView } from './api.views';
import type { MonitorConfig } from './monitor.config';
import { monitorMetrics } from './monitor-metrics';
import { retryDelayMs } from './retry-backoff';
import { WebhookRepository, type DeliveryJob } from './webhook.repository';
import { EgressRefusedError } from './webhook-egress';
import { WebhookSender } from './webhook-sender';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './webhook-signature';

const BATCH = 20;

@Injectable()
export class WebhookDispatcher extends PolledWork {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly sender: WebhookSender,
    signals: AlertSignals,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    super({
      what: 'webhook delivery',
      intervalMs: config.WEBHOOK_POLL_MS,
      logger,
      wakeOn: (wake) => signals.onRaised(wake),
    });
  }

  protected async step(): Promise<boolean> {
    // The lease outlasts the request, so a delivery is never attempted twice at once.
    const jobs = await this.webhooks.claimDue(BATCH, this.config.WEBHOOK_TIMEOUT_MS + 5_000);
    if (jobs.length > 0)
      await traceWork('webhook delivery', () => Promise.all(jobs.map((job) => this.deliver(job))), {
        attributes: { 'mercato.deliveries': jobs.length },
        links: jobs.map((job) => job.alert.completedBy?.traceparent),
      });
    monitorMetrics.webhookPending.set(await this.webhooks.pendingCount());
    return jobs.length === BATCH;
  }

  private async deliver(job: DeliveryJob): Promise<void> {
    const seconds = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      type: 'sentiment.alert',
      deliveryId: job.id,
      attempt: job.attempt,
      sentAt: new Date(seconds * 1000).toISOString(),
      alert: toAlertView(job.alert),
    });
    let status: number | null = null;
    let error: string;
    try {
      const res = await this.sender.post(job.url, body, {
        'content-type': 'application/json',
        'user-agent': 'mercato-sentiment-monitor',
        [SIGNATURE_HEADER]: signBody(job.secret, body),
        [TIMESTAMP_HEADER]: String(seconds),
        [EVENT_ID_HEADER]: job.alert.alertId,
        'x-mercato-delivery-id': job.id,
      });
      status = res.status;
      if (status >= 200 && status < 300) {
        await this.webhooks.markDelivered(job.id, status);
        monitorMetrics.webhookDeliveries.inc({ outcome: 'delivered' });
        return;
      }
      error =
        status >= 300 && status < 400
          ? `HTTP ${status}: redirects are not followed${res.location ? ` (to ${safeHost(res.location)})` : ''}`
          : `HTTP ${status}`;
    } catch (err) {
      if (err instanceof EgressRefusedError) monitorMetrics.webhookRefused.inc({ rule: err.rule });
      error = (err as Error).name === 'AbortError' ? 'timed out' : (err as Error).message;
    }
    const giveUp = job.attempt >= this.config.WEBHOOK_MAX_ATTEMPTS;
    const retryIn = giveUp
      ? null
      : retryDelayMs(job.attempt, this.config.WEBHOOK_BACKOFF_MS, this.config.WEBHOOK_MAX_BACKOFF_MS);
    await this.webhooks.markFailed(job.id, status, error, retryIn);
    monitorMetrics.webhookDeliveries.inc({ outcome: giveUp ? 'failed' : 'retry' });
    // The URL may carry a customer's token in its query string: log the host only.
    this.logger.warn(
      {
        deliveryId: job.id,
        alertId: job.alert.alertId,
        host: safeHost(job.url),
        attempt: job.attempt,
        error,
        retryInMs: retryIn,
      },
      giveUp ? 'webhook delivery failed; giving up' : 'webhook delivery failed; will retry',
    );
  }
}

/** The host of a URL, never its path or query (a customer's token may be there). */
function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(not a URL)';
  }
}
