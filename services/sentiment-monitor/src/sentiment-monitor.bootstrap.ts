// Wires mercato-sentiment-monitor into the shared service runtime.
import { bootstrapService } from '@mercato/runtime';
import { SentimentMonitorModule } from './sentiment-monitor.module';

export async function startSentimentMonitor(): Promise<void> {
  await bootstrapService({
    name: 'sentiment-monitor',
    env: {},
    consumer: {},
    module: () => SentimentMonitorModule,
  });
}
