// mercato-sentiment-monitor: windowed sentiment per ticker, surge detection, alerts and the dashboard.
// Telemetry starts before anything else is loaded so http and pg are instrumented.
import { runMain, startTelemetry } from '@mercato/telemetry';

startTelemetry({ serviceName: 'sentiment-monitor' });

runMain('sentiment-monitor', async () => {
  const { startSentimentMonitor } = await import('./sentiment-monitor.bootstrap.js');
  await startSentimentMonitor();
});
