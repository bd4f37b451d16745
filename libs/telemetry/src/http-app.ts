// Starting and stopping a service process: the Nest app on Fastify, pino logging, signal handling
// with a bounded graceful drain (readiness fails first, then Kafka drains, then pools close).
import { NestFactory } from '@nestjs/core';
import type { Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { HealthRegistry } from './health';
import { NestPinoLogger } from './logger';
import { collectProcessMetrics } from './metrics';
import { bypassInstrumentationWhenUntraced, inBackground, isHotRoute, nameServerSpan } from './tracing';

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  /** Largest request body accepted, in bytes (Fastify answers 413 above it). */
  bodyLimit?: number;
}

export async function createHttpApp(module: Type, options: HttpAppOptions): Promise<NestFastifyApplication> {
  collectProcessMetrics(options.service);
  const adapter = new FastifyAdapter({ bodyLimit: options.bodyLimit ?? 1_048_576, trustProxy: true });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new NestPinoLogger(options.logger),
    bufferLogs: false,
    abortOnError: false,
  });
  bypassInstrumentationWhenUntraced(app.getHttpServer() as Server);
  // Routing is done before onRequest hooks run, so the server span gets its route's name there; hot
  // routes are named as their span starts (tracing.ts) and spared a hook per request.
  const nameSpan: onRequestHookHandler = (request, _reply, done) => {
    nameServerSpan(request.method, request.routeOptions.url);
    done();
  };
  (app.getHttpAdapter().getInstance() as FastifyInstance).addHook('onRoute', (route) => {
    if (isHotRoute(route.url)) return;
    route.onRequest = [...(route.onRequest === undefined ? [] : [route.onRequest].flat()), nameSpan];
  });
  return app;
}

export interface RunOptions {
  host: string;
  port: number;
  shutdownTimeoutMs: number;
  logger: Logger;
}

/** Listens, then drains on SIGTERM/SIGINT: a second signal or the timeout forces the exit. */
export async function listenAndDrainOnSignal(
  app: NestFastifyApplication,
  options: RunOptions,
): Promise<void> {
  const { logger } = options;
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'draining');
    app.get(HealthRegistry).markDraining();
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: options.shutdownTimeoutMs }, 'drain timed out: exiting');
      process.exit(1);
    }, options.shutdownTimeoutMs);
    timer.unref();
    app
      .close()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'error while draining');
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await app.listen({ host: options.host, port: options.port });
  logger.info({ url: `http://${options.host}:${options.port}` }, 'listening');
}

/**
 * Runs a service's start-up; a configuration error prints what is wrong and exits with 78 (EX_CONFIG).
 * Start-up is background work (tracing.ts): its queries and calls, and the timers and consumers it
 * starts, run in an unsampled trace unless a request, a record or a unit of work starts one.
 */
export function runMain(service: string, start: () => Promise<void>): void {
  inBackground(start).catch((err: unknown) => {
    if (err instanceof Error && err.name === 'ConfigError') {
      process.stderr.write(`mercato-${service}: ${err.message}\n`);
      process.exit(78);
    }
    process.stderr.write(
      `mercato-${service}: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
