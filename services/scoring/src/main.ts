// mercato-scoring: recommendations (HTTP and gRPC), streaming sentiment inference, hot model swap.
// Telemetry starts before anything else is loaded so http and pg are instrumented.
import { runMain, startTelemetry } from '@mercato/telemetry';

// Recommendations are traced when the caller's trace is sampled: a span each would cost a third of them.
startTelemetry({
  serviceName: 'scoring',
  tracedOnlyWhenSampled: [/^\/v1\/users\/[^/?#]+\/recommendations(?:[?#]|$)/],
});

runMain('scoring', async () => {
  const { startScoring } = await import('./scoring.bootstrap.js');
  await startScoring();
});
