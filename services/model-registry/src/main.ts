// mercato-model-registry: model versions, aliases, metrics, lineage and artifacts; the promotion policy.
// Telemetry starts before anything else is loaded so http and pg are instrumented.
import { runMain, startTelemetry } from '@mercato/telemetry';

startTelemetry({ serviceName: 'model-registry' });

runMain('model-registry', async () => {
  const { startModelRegistry } = await import('./model-registry.bootstrap.js');
  await startModelRegistry();
});
