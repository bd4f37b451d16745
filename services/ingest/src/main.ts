// mercato-ingest: HTTP API and file replay into the raw topics: validation, dedupe, pseudonymization.
// Telemetry starts before anything else is loaded so http and pg are instrumented.
import { runMain, startTelemetry } from '@mercato/telemetry';

startTelemetry({ serviceName: 'ingest' });

runMain('ingest', async () => {
  const { startIngest } = await import('./ingest.bootstrap.js');
  await startIngest();
});
