// The ingest API's whole-request errors. Every body has the same shape, `{ statusCode, error,
// message, errors: [{ field, reason }] }`, so a client can fix the request without our logs.
import { HttpException, HttpStatus } from '@nestjs/common';
import type { FieldIssue } from './record-validation';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errors: FieldIssue[];
  [extra: string]: unknown;
}

export function httpError(
  status: number,
  error: string,
  errors: FieldIssue[],
  extra: Record<string, unknown> = {},
): HttpException {
  const body: ErrorBody = {
    statusCode: status,
    error,
    message: errors.map((e) => `${e.field}: ${e.reason}`).join('; '),
    errors,
    ...extra,
  };
  return new HttpException(body, status);
}

export const invalidRequest = (field: string, reason: string): HttpException =>
  httpError(HttpStatus.BAD_REQUEST, 'invalid_request', [{ field, reason }]);

export const malformedJson = (reason: string): HttpException =>
  httpError(HttpStatus.BAD_REQUEST, 'malformed_json', [{ field: '(body)', reason }]);

export const invalidEncoding = (reason: string): HttpException =>
  httpError(HttpStatus.BAD_REQUEST, 'invalid_encoding', [{ field: '(body)', reason }]);

export const unsupportedMediaType = (got: string | undefined): HttpException =>
  httpError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_media_type', [
    {
      field: 'content-type',
      reason: `expected application/json (UTF-8), got ${got ? JSON.stringify(got) : 'none'}`,
    },
  ]);

export const bodyTooLarge = (limit: number): HttpException =>
  httpError(
    HttpStatus.PAYLOAD_TOO_LARGE,
    'body_too_large',
    [
      {
        field: '(body)',
        reason: `the request body is larger than ${limit} bytes (INGEST_MAX_REQUEST_BYTES)`,
      },
    ],
    { limit },
  );

export const batchTooLarge = (field: string, count: number, limit: number): HttpException =>
  httpError(
    HttpStatus.PAYLOAD_TOO_LARGE,
    'batch_too_large',
    [{ field, reason: `${count} records; at most ${limit} per request (INGEST_MAX_BATCH)` }],
    { limit },
  );

/** The batch was not stored: nothing of it was accepted, and the client should send it again. */
export const unavailable = (reason: string): HttpException =>
  httpError(HttpStatus.SERVICE_UNAVAILABLE, 'unavailable', [{ field: '(batch)', reason }], {
    retryable: true,
  });
