// mercato-feature: raw topics to features; the online and offline feature store; dataset export.
// Telemetry starts before anything else is loaded so http and pg are instrumented.
import { runMain, startTelemetry } from '@mercato/telemetry';

startTelemetry({ serviceName: 'feature' });

runMain('feature', async () => {
  const { startFeature } = await import('./feature.bootstrap.js');
  await startFeature();
});
