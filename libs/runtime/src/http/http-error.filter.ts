// The one exception filter of every service (bootstrapService installs it): a DomainError becomes
// its status and body; Nest's and Fastify's own HttpExceptions (an unknown route, a body over the
// byte limit, a bad Content-Length) get the same body shape; an authentication refusal keeps the body
// libs/auth gave it. A 503 says Retry-After: 1. Anything else is a server fault: Nest's base filter
// logs it and answers a bare 500. Kafka handlers are not HTTP: their errors pass through untouched
// to the transport (as KafkaErrorPassthroughFilter does), which retries or dead-letters them.
import { Catch, HttpException, Inject, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { throwError, type Observable } from 'rxjs';
import { DomainError, type ErrorBody } from './domain-error';

export interface HttpErrorOptions {
  /** The largest request body, in bytes (what a 413 names). */
  bodyLimit: number;
  /** The variable that sets bodyLimit, named in the 413's reason when the service has one. */
  bodyLimitVariable?: string;
  /** Called for every error answer (e.g. to count refusals per endpoint). */
  onError?: (path: string, status: number) => void;
}

export const HTTP_ERROR_OPTIONS = Symbol('HTTP_ERROR_OPTIONS');

const CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  411: 'length_required',
  413: 'body_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'unavailable',
};

export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
}

const hasErrorBody = (response: unknown): response is ErrorBody =>
  typeof response === 'object' &&
  response !== null &&
  Array.isArray((response as { errors?: unknown }).errors) &&
  typeof (response as { error?: unknown }).error === 'string';

/** The answer for an error, or undefined for a server fault (not a DomainError nor an HttpException). */
export function errorAnswerOf(
  exception: unknown,
  options: Partial<HttpErrorOptions> = {},
): ErrorAnswer | undefined {
  if (exception instanceof DomainError) return { status: exception.status, body: exception.body() };
  if (!(exception instanceof HttpException)) return undefined;
  const status = exception.getStatus();
  if ((exception.cause as { code?: unknown } | undefined)?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = options.bodyLimit ?? 0;
    const variable = options.bodyLimitVariable ? ` (${options.bodyLimitVariable})` : '';
    const error = new DomainError(
      'too_large',
      'body_too_large',
      [{ field: '(body)', reason: `the request body is larger than ${limit} bytes${variable}` }],
      { limit },
    );
    return { status: error.status, body: error.body() };
  }
  const response = exception.getResponse();
  if (hasErrorBody(response)) return { status, body: response };
  const m = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const message = typeof m === 'string' ? m : Array.isArray(m) ? m.join('; ') : exception.message;
  return {
    status,
    body: {
      statusCode: status,
      error: CODES[status] ?? `http_${status}`,
      message,
      errors: [{ field: '(request)', reason: message }],
    },
  };
}

@Catch()
export class HttpErrorFilter extends BaseExceptionFilter {
  @Inject(HTTP_ERROR_OPTIONS) private readonly options!: HttpErrorOptions;

  override catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() !== 'http') return throwError(() => exception);
    const http = host.switchToHttp();
    const path = http.getRequest<FastifyRequest | undefined>()?.url.split('?')[0] ?? '';
    const answer = errorAnswerOf(exception, this.options);
    this.options.onError?.(path, answer?.status ?? 500);
    if (!answer) {
      super.catch(exception, host);
      return;
    }
    const reply = http.getResponse<FastifyReply>();
    if (answer.status === 503) void reply.header('retry-after', '1');
    void reply.code(answer.status).send(answer.body);
  }
}
