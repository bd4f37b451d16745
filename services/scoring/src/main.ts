// mercato-scoring: recommendations (HTTP and gRPC), streaming sentiment inference, hot model swap.
// Telemetry starts before anything else is loaded so http and pg are instrumented.
import { runMain, startTelemetry } from '@mercato/telemetry';

startTelemetry({ serviceName: 'scoring' });

runMain('scoring', async () => {
  const { startScoring } = await import('./scoring.bootstrap.js');
  await startScoring();
});
