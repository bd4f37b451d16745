export {
  ConfigError,
  loadConfig,
  readSecret,
  booleanString,
  port,
  positiveInt,
  commaList,
} from './load-config';
export { kafkaEnv, databaseEnv, httpEnv, runtimeEnv, tracingEnv, platformEnv } from './common';
export { SERVICE_NAMES, DEFAULT_PORTS, type ServiceName } from './services';
export { z } from 'zod';
