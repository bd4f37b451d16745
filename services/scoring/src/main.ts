// mercato-scoring: recommendations (HTTP and gRPC), streaming sentiment inference, hot model swap.
// Telemetry starts before anything else is loaded so http and pg are instrumented.
import { runMain, startTelemetry } from '@mercato/telemetry';

// Recommendations are sampled at the edge: a span each would cost a third of them (see @mercato/telemetry).
startTelemetry({
  serviceName: 'scoring',
  hotRoutes: [/^\/v1\/users\/[^/?#]+\/recommendations(?:[?#]|$)/],
});

runMain('scoring', async () => {
  const { startScoring } = await import('./scoring.bootstrap.js');
  await startScoring();
});
