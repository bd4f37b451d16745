// Publishes committed alerts to sentiment.alerts.v1 in raise order (the alerts table is the
// outbox): woken after each batch that raised alerts, and on a timer for whatever a crash or a
// broker outage left unpublished. One replica relays at a time (advisory lock).
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Poller, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { AlertEventPublisher } from './alert-event.publisher';
import { AlertSignals } from './alert-signals';
import { AlertRepository } from './alert.repository';
import type { MonitorConfig } from './monitor.config';
import { monitorMetrics } from './monitor-metrics';

const BATCH = 100;

@Injectable()
export class AlertRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly poller: Poller;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly alerts: AlertRepository,
    private readonly publisher: AlertEventPublisher,
    private readonly signals: AlertSignals,
    @Inject(SERVICE_CONFIG) config: MonitorConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.poller = new Poller({
      intervalMs: config.ALERT_RELAY_POLL_MS,
      step: () => this.step(),
      onError: (err) => this.logger.warn({ err: err.message }, 'alert relay failed; retrying'),
    });
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.signals.onRaised(() => this.poller.kick());
    this.poller.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    await this.poller.stop();
  }

  private async step(): Promise<boolean> {
    const result = await this.alerts.relayUnpublished(BATCH, (alerts) => this.publisher.publish(alerts));
    if (!result) return false;
    if (result.error !== undefined) throw new Error(`publishing alerts failed: ${result.error}`);
    monitorMetrics.alertsPublished.inc(result.published);
    return result.published === BATCH;
  }
}
