export {
  startTelemetry,
  stopTelemetry,
  redactUrl,
  hotRouteDecision,
  nameServerSpan,
  backgroundContext,
  inBackground,
  traceWork,
  recordWork,
  withinSpan,
  spanContextOf,
  isSampled,
  type EdgeDecision,
  type HotRoute,
  type TelemetryOptions,
  type WorkOptions,
} from './tracing';
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
