export { startTelemetry, stopTelemetry, redactUrl, type TelemetryOptions } from './tracing';
export { createLogger, NestPinoLogger, type Logger } from './logger';
export { metricsRegistry, collectProcessMetrics, counter, gauge, histogram } from './metrics';
export { HealthRegistry, HealthController, ObservabilityModule, type ReadinessCheck } from './health';
export {
  createHttpApp,
  listenAndDrainOnSignal,
  runMain,
  type HttpAppOptions,
  type RunOptions,
} from './http-app';
