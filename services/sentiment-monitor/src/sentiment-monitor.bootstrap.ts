// Wires mercato-sentiment-monitor into the shared service runtime: consumes news.scored.v1 in
// batches (one transaction per batch), owns the sentiment_monitor schema.
import { join } from 'node:path';
import { bootstrapService } from '@mercato/runtime';
import { monitorEnv, resolveMonitorSettings } from './monitor.config';
import { SentimentMonitorModule } from './sentiment-monitor.module';

export async function startSentimentMonitor(): Promise<void> {
  await bootstrapService({
    name: 'sentiment-monitor',
    env: monitorEnv,
    consumer: { retry: { maxAttempts: 5, initialBackoffMs: 200, maxBackoffMs: 5_000 } },
    migrationsDir: join(__dirname, '..', 'migrations'),
    module: (config) => SentimentMonitorModule.forRoot(resolveMonitorSettings(config)),
  });
}
