// pino logs with the active trace and span ids, and a NestJS LoggerService over the same logger.
import { type LoggerService } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import pino, { type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/**
 * A service logs to stdout (what container runtimes collect); a command-line tool passes 'stderr', so
 * its stdout holds only the command's output (`mercato … --json`).
 */
export function createLogger(
  service: string,
  level: LevelWithSilent = 'info',
  stream: 'stdout' | 'stderr' = 'stdout',
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: `mercato-${service}` },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secrets must never reach a log line, even by accident in an error object.
    redact: {
      paths: [
        'password',
        '*.password',
        'DATABASE_URL',
        '*.DATABASE_URL',
        'authorization',
        '*.authorization',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const ctx = span.spanContext();
      return { trace_id: ctx.traceId, span_id: ctx.spanId };
    },
  };
  return stream === 'stderr' ? pino(options, pino.destination({ fd: 2, sync: true })) : pino(options);
}

/** Routes Nest's framework logs (module init, routes, errors) into pino. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error(
      { context, stack: trace },
      message instanceof Error ? message.message : String(message),
    );
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
