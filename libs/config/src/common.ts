// Variables every service shares: Kafka, Postgres, HTTP, telemetry, shutdown.
import { z } from 'zod';
import { booleanString, port, positiveInt } from './load-config';

const hostPort = /^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/;

export const kafkaEnv = {
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().regex(hostPort, 'expected host:port[,host:port…]')).min(1, 'at least one broker'),
    ),
  KAFKA_CLIENT_ID: z.string().optional(),
  /** Overrides the consumer group (default mercato-<service>), e.g. to run a second copy beside a stack. */
  KAFKA_CONSUMER_GROUP: z.string().min(1).optional(),
  /**
   * How long the broker waits for a silent consumer before it gives the member's partitions to the
   * group again: after a SIGKILL (or a node failure) the partitions stand still this long. The
   * heartbeat is a sixth of it. The broker refuses values outside its group.min/max.session.timeout.ms
   * (6 s to 30 min by default); docs/runbook.md, "Consumer recovery".
   */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1_000, 'must be at least 1000 (ms)')
    .max(1_800_000, 'must be at most 1800000 (ms)')
    .default(6_000),
  KAFKA_SSL: booleanString(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
};

export const databaseEnv = {
  DATABASE_URL: z
    .string({ message: 'required: a postgres:// connection string (npx mercato up sets one)' })
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL'),
  DATABASE_SSL: booleanString(false),
  DATABASE_POOL_MAX: positiveInt(10),
  MIGRATE_ON_START: booleanString(true),
};

export const httpEnv = (defaultPort: number) => ({
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: port(defaultPort),
});

const ratio = (fallback: number) => z.coerce.number().min(0).max(1).default(fallback);

/**
 * Tracing. startTelemetry() reads these before the service's configuration is loaded (it must run
 * first); a bad value there falls back to the default, and the service's loadConfig then stops the
 * process naming the variable.
 */
export const tracingEnv = {
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** How spans are sent: OTLP/HTTP with JSON or protobuf bodies, or OTLP/gRPC. */
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/json', 'http/protobuf', 'grpc']).default('http/json'),
  /** The OpenTelemetry sampler names; parent-based: a request or message follows its caller's decision. */
  OTEL_TRACES_SAMPLER: z
    .enum([
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
      'always_on',
      'always_off',
      'traceidratio',
    ])
    .default('parentbased_always_on'),
  /** The ratio of the *traceidratio samplers. */
  OTEL_TRACES_SAMPLER_ARG: ratio(1),
  /** Share of hot-route requests (recommendations) that start a trace when the caller sends none. */
  TRACES_HOT_ROUTE_RATIO: ratio(0.01),
};

export const runtimeEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...tracingEnv,
  SHUTDOWN_TIMEOUT_MS: positiveInt(25_000),
  TENANT_ID: z.string().default('default'),
};

/** The full set of shared variables, for a service that uses Kafka and Postgres. */
export const platformEnv = (defaultPort: number) => ({
  ...kafkaEnv,
  ...databaseEnv,
  ...httpEnv(defaultPort),
  ...runtimeEnv,
});
