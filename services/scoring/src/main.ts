// mercato-scoring: recommendations (HTTP and gRPC), streaming sentiment inference, hot model swap.
// Telemetry starts before anything else is loaded so http and pg are instrumented.
import { runMain, startTelemetry } from '@mercato/telemetry';

// Recommendations are sampled at the edge: a span each would cost a third of them (see @mercato/telemetry).
// The route is the controller's RECOMMENDATIONS_URL, written out: importing it would load pg first.
startTelemetry({
  serviceName: 'scoring',
  hotRoutes: [
    {
      path: /^\/v1\/users\/[^/?#]+\/recommendations(?:[?#]|$)/,
      route: '/v1/users/:userId/recommendations',
    },
  ],
});

runMain('scoring', async () => {
  const { startScoring } = await import('./scoring.bootstrap.js');
  await startScoring();
});
