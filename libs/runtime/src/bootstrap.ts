// One call that turns a service definition into a running process: validated configuration, pino
// logger, Postgres (own schema, migrations), Kafka (producer, and the consumer transport when the
// service consumes), authentication (API keys / JWT, scopes, rate limits: every route needs
// RequireScopes or Public), health/metrics endpoints, HTTP on Fastify, and the graceful drain.
import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { authEnv, resolveAuthSettings } from '@mercato/auth';
import { AuthModule } from './auth.module';
import { HTTP_ERROR_OPTIONS, HttpErrorFilter, type HttpErrorOptions } from './http/http-error.filter';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DEFAULT_PORTS, loadConfig, platformEnv, z, type ServiceName } from '@mercato/config';
import { DbModule } from '@mercato/db';
import { KafkaModule, KafkaTransport, kafkaClientOptionsFromEnv, type RetryPolicy } from '@mercato/kafka';
import {
  ObservabilityModule,
  createHttpApp,
  counter,
  createLogger,
  listenAndDrainOnSignal,
  type Logger,
} from '@mercato/telemetry';

type PlatformShape = ReturnType<typeof platformEnv>;
export type PlatformConfig = z.infer<z.ZodObject<PlatformShape>>;

export interface ServiceDefinition<E extends z.ZodRawShape> {
  name: ServiceName;
  /** Variables of this service beyond the shared ones. */
  env: E;
  /** Consumer group settings when the service consumes topics (handlers are @OnTopic methods). */
  consumer?: { retry?: Partial<RetryPolicy>; partitionsConsumedConcurrently?: number };
  /** Folder of SQL migrations for the service's schema. */
  migrationsDir?: string;
  bodyLimit?: number;
  /** The variable that sets bodyLimit, named in a 413 answer. */
  bodyLimitVariable?: string;
  /** Called for every HTTP error answer (e.g. to count refusals per endpoint). */
  onHttpError?: HttpErrorOptions['onError'];
  /** The service's own module, built from its configuration. */
  module: (config: PlatformConfig & z.infer<z.ZodObject<E>>, logger: Logger) => DynamicModule | Type;
}

/** Postgres schema names cannot hold dashes. */
export const schemaFor = (service: ServiceName): string => service.replace(/-/g, '_');

const DEFAULT_BODY_LIMIT = 1_048_576;

const authRefused = counter('mercato_auth_refused_total', 'Requests refused by authentication, by reason', [
  'reason',
]);

export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const SERVICE_LOGGER = Symbol('SERVICE_LOGGER');

export async function bootstrapService<E extends z.ZodRawShape>(
  def: ServiceDefinition<E>,
): Promise<NestFastifyApplication> {
  const schema = z.object({ ...platformEnv(DEFAULT_PORTS[def.name]), ...authEnv, ...def.env });
  const config = loadConfig(schema) as PlatformConfig & z.infer<z.ZodObject<E>>;
  const logger = createLogger(def.name, config.LOG_LEVEL);
  const authSettings = resolveAuthSettings(
    config as typeof config & z.infer<z.ZodObject<typeof authEnv>>,
    (message) => logger.warn(message),
  );

  @Global()
  @Module({
    providers: [
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: SERVICE_LOGGER, useValue: logger },
      {
        provide: HTTP_ERROR_OPTIONS,
        useValue: {
          bodyLimit: def.bodyLimit ?? DEFAULT_BODY_LIMIT,
          bodyLimitVariable: def.bodyLimitVariable,
          onError: def.onHttpError,
        } satisfies HttpErrorOptions,
      },
      { provide: APP_FILTER, useClass: HttpErrorFilter },
    ],
    exports: [SERVICE_CONFIG, SERVICE_LOGGER],
  })
  class ServiceContextModule {}

  @Module({
    imports: [
      ServiceContextModule,
      ObservabilityModule.forRoot(),
      DbModule.forRoot({
        url: config.DATABASE_URL,
        schema: schemaFor(def.name),
        ssl: config.DATABASE_SSL,
        poolMax: config.DATABASE_POOL_MAX,
        migrationsDir: def.migrationsDir,
        migrateOnStart: config.MIGRATE_ON_START,
        logger,
      }),
      AuthModule.forRoot({
        settings: authSettings,
        databaseUrl: config.DATABASE_URL,
        migrateOnStart: config.MIGRATE_ON_START,
        logger,
        onRefused: (reason) => authRefused.inc({ reason }),
      }),
      KafkaModule.forRoot({
        client: kafkaClientOptionsFromEnv(config, def.name, logger),
        consumer: def.consumer && {
          groupId: config.KAFKA_CONSUMER_GROUP ?? `mercato-${def.name}`,
          sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
          ...def.consumer,
        },
        logger,
      }),
      def.module(config, logger),
    ],
  })
  class RootModule {}

  const app = await createHttpApp(RootModule, {
    service: def.name,
    logger,
    bodyLimit: def.bodyLimit ?? DEFAULT_BODY_LIMIT,
  });
  if (def.consumer) {
    app.connectMicroservice({ strategy: app.get(KafkaTransport) });
    await app.startAllMicroservices();
  }
  await listenAndDrainOnSignal(app, {
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    logger,
  });
  return app;
}
