export { ConfigError, loadConfig, booleanString, port, positiveInt } from './load-config';
export { kafkaEnv, databaseEnv, httpEnv, runtimeEnv, platformEnv } from './common';
export { z } from 'zod';
