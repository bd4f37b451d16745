// Publishes committed alerts to sentiment.alerts.v1 in raise order (the alerts table is the outbox,
// relayed by @mercato/db's relayOutbox): woken after each batch that raised alerts, and on a timer
// for whatever a crash or a broker outage left unpublished. One replica relays at a time.
import { Inject, Injectable } from '@nestjs/common';
import { Database, relayOutbox } from '@mercato/db';
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { AlertEventPublisher } from './alert-event.publisher';
import { AlertSignals } from './alert-signals';
import { AlertRepository } from './alert.repository';
import type { MonitorConfig } from './monitor.config';
import { monitorMetrics } from './monitor-metrics';

const BATCH = 100;

@Injectable()
export class AlertRelay extends PolledWork {
  constructor(
    private readonly db: Database,
    private readonly alerts: AlertRepository,
    private readonly publisher: AlertEventPublisher,
    signals: AlertSignals,
    @Inject(SERVICE_CONFIG) config: MonitorConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    super({
      what: 'alert relay',
      intervalMs: config.ALERT_RELAY_POLL_MS,
      logger,
      wakeOn: (wake) => signals.onRaised(wake),
    });
  }

  protected async step(): Promise<boolean> {
    // The alerts of a batch go out together: all published, or all left for the next try.
    const result = await relayOutbox(this.db, this.alerts.outbox, BATCH, async (alerts) => {
      try {
        await this.publisher.publish(alerts);
        return { published: alerts.length };
      } catch (err) {
        return { published: 0, error: (err as Error).message };
      }
    });
    if (!result) return false;
    if (result.error !== undefined) throw new Error(`publishing alerts failed: ${result.error}`);
    monitorMetrics.alertsPublished.inc(result.published);
    return result.published === BATCH;
  }
}
