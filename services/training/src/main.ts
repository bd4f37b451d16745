// mercato-training: trains TensorFlow.js models from training requests, evaluates and registers them.
// Telemetry starts before anything else is loaded so http and pg are instrumented.
import { runMain, startTelemetry } from '@mercato/telemetry';

startTelemetry({ serviceName: 'training' });

runMain('training', async () => {
  const { startTraining } = await import('./training.bootstrap.js');
  await startTraining();
});
