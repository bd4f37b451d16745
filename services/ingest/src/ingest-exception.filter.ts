// Gives every error answer of the ingest API the same body (`{ statusCode, error, message, errors }`),
// including the ones Fastify raises before a controller runs (body over the byte limit, a bad
// Content-Length), and counts refused requests per endpoint. Server faults keep Nest's handling.
import { Catch, HttpException, Inject, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bodyTooLarge, httpError } from './http-errors';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';
import { ingestMetrics, type Endpoint } from './ingest-metrics';

const ENDPOINTS: Record<string, Endpoint> = {
  '/v1/news': 'news',
  '/v1/interactions': 'interactions',
  '/v1/catalog/items': 'catalog',
};

const ERROR_CODES: Record<number, string> = {
  400: 'invalid_request',
  404: 'not_found',
  405: 'method_not_allowed',
  411: 'length_required',
  413: 'body_too_large',
  415: 'unsupported_media_type',
};

/** The uniform body for an HttpException that does not have it yet (Nest's and Fastify's own). */
export function normalizeHttpException(exception: HttpException, settings: IngestSettings): HttpException {
  const code = (exception.cause as { code?: unknown } | undefined)?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return bodyTooLarge(settings.maxRequestBytes);
  const response = exception.getResponse();
  if (typeof response === 'object' && 'errors' in response) return exception;
  const status = exception.getStatus();
  const m = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const message = typeof m === 'string' ? m : Array.isArray(m) ? m.join('; ') : exception.message;
  return httpError(status, ERROR_CODES[status] ?? `http_${status}`, [
    { field: '(request)', reason: message },
  ]);
}

@Catch()
export class IngestExceptionFilter extends BaseExceptionFilter {
  @Inject(INGEST_SETTINGS) private readonly settings!: IngestSettings;

  override catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest | undefined>();
    const path = request?.url.split('?')[0] ?? '';
    const endpoint = ENDPOINTS[path];
    if (!(exception instanceof HttpException)) {
      if (endpoint) ingestMetrics.requestsFailed.inc({ endpoint, status: '500' });
      super.catch(exception, host);
      return;
    }
    const normalized = normalizeHttpException(exception, this.settings);
    const status = normalized.getStatus();
    if (endpoint) ingestMetrics.requestsFailed.inc({ endpoint, status: String(status) });
    // A batch that was not stored is worth sending again soon; clients that honour the header back off.
    if (status === 503) void host.switchToHttp().getResponse<FastifyReply>().header('retry-after', '1');
    super.catch(normalized, host);
  }
}
