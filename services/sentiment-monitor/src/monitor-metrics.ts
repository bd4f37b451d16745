// The sentiment monitor's own Prometheus metrics.
import { counter, gauge, histogram } from '@mercato/telemetry';

export const monitorMetrics = {
  records: counter(
    'mercato_sentiment_records_total',
    'Scored records by outcome: counted in windows, duplicate (event id seen before), late or future (not counted)',
    ['outcome'],
  ),
  lateDropped: counter(
    'mercato_sentiment_late_dropped_total',
    'Records not counted because they were later than ALLOWED_LATENESS behind the ticker watermark (or in the future)',
    ['reason'],
  ),
  windowsUpdated: counter('mercato_sentiment_windows_updated_total', 'Window rows written, by window size', [
    'window',
  ]),
  windowsClosed: counter(
    'mercato_sentiment_windows_closed_total',
    'Windows closed and folded into baselines',
    ['window'],
  ),
  alertsRaised: counter('mercato_sentiment_alerts_raised_total', 'Alerts raised, by severity and direction', [
    'severity',
    'direction',
  ]),
  alertsSuppressed: counter(
    'mercato_sentiment_alerts_suppressed_total',
    'Qualifying windows that raised no alert because of the cooldown',
    ['direction'],
  ),
  alertsPublished: counter(
    'mercato_sentiment_alerts_published_total',
    'Alerts written to sentiment.alerts.v1',
    [],
  ),
  alertLag: histogram(
    'mercato_sentiment_alert_lag_seconds',
    'From the broker timestamp of the newest record of the ticker in the batch to the alert being committed',
    [],
    [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  ),
  webhookDeliveries: counter(
    'mercato_sentiment_webhook_deliveries_total',
    'Webhook delivery attempts by outcome: delivered, retry (failed, will retry), failed (gave up)',
    ['outcome'],
  ),
  webhookRefused: counter(
    'mercato_sentiment_webhook_refused_total',
    'Webhook URLs refused by the egress policy, at registration or delivery, by rule',
    ['rule'],
  ),
  webhookPending: gauge(
    'mercato_sentiment_webhook_pending',
    'Webhook deliveries not yet delivered or given up',
    [],
  ),
  sseClients: gauge('mercato_sentiment_sse_clients', 'Open server-sent-event alert streams', []),
  batchSeconds: histogram(
    'mercato_sentiment_batch_seconds',
    'Time to count one batch in its transaction',
    [],
  ),
};
