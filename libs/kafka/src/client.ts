// kafkajs client construction from the shared configuration (TLS, SASL/SCRAM) with logs in pino.
import { Kafka, logLevel, type KafkaConfig, type SASLOptions, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  logger: Logger;
}

/**
 * kafkajs warnings about choices the platform made on purpose, logged at debug level: bounded retries
 * on the idempotent producer (EventProducer retires a producer after a failed send, so the hazard
 * the warning names cannot happen; see producer.ts).
 */
const DELIBERATE = new Set(['Limiting retries for the idempotent producer may invalidate EoS guarantees']);

function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const child = { ...extra, component: 'kafkajs' };
      if (DELIBERATE.has(message)) {
        logger.debug(child, message);
        return;
      }
      switch (level) {
        case logLevel.ERROR:
        case logLevel.NOTHING:
          logger.error(child, message);
          break;
        case logLevel.WARN:
          logger.warn(child, message);
          break;
        case logLevel.INFO:
          logger.info(child, message);
          break;
        case logLevel.DEBUG:
          logger.debug(child, message);
          break;
      }
    };
}

export function createKafka(options: KafkaClientOptions): Kafka {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    ssl: options.ssl ?? false,
    sasl: options.sasl as SASLOptions | undefined,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(options.logger),
  };
  return new Kafka(config);
}

/** Builds client options from the shared environment (see @mercato/config kafkaEnv). */
export function kafkaClientOptionsFromEnv(
  env: {
    KAFKA_BROKERS: string[];
    KAFKA_CLIENT_ID?: string;
    KAFKA_SSL: boolean;
    KAFKA_SASL_MECHANISM?: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    KAFKA_SASL_USERNAME?: string;
    KAFKA_SASL_PASSWORD?: string;
  },
  service: string,
  logger: Logger,
): KafkaClientOptions {
  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = env;
  if (mechanism && (!username || !password)) {
    throw new Error('KAFKA_SASL_MECHANISM is set but KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is missing');
  }
  return {
    clientId: env.KAFKA_CLIENT_ID ?? `mercato-${service}`,
    brokers: env.KAFKA_BROKERS,
    ssl: env.KAFKA_SSL,
    sasl: mechanism && username && password ? { mechanism, username, password } : undefined,
    logger,
  };
}
