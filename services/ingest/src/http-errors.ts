// The ingest API's own whole-request refusals (the body is not UTF-8 JSON, too many records, the
// batch could not be stored), as DomainErrors: the service's exception filter (libs/runtime) gives
// them the common body `{ statusCode, error, message, errors: [{ field, reason }] }`.
import { DomainError, unavailable } from '@mercato/runtime';

export const malformedJson = (reason: string): DomainError =>
  new DomainError('invalid', 'malformed_json', [{ field: '(body)', reason }]);

export const invalidEncoding = (reason: string): DomainError =>
  new DomainError('invalid', 'invalid_encoding', [{ field: '(body)', reason }]);

export const unsupportedMediaType = (got: string | undefined): DomainError =>
  new DomainError('unsupported_media_type', 'unsupported_media_type', [
    {
      field: 'content-type',
      reason: `expected application/json (UTF-8), got ${got ? JSON.stringify(got) : 'none'}`,
    },
  ]);

export const batchTooLarge = (field: string, count: number, limit: number): DomainError =>
  new DomainError(
    'too_large',
    'batch_too_large',
    [{ field, reason: `${count} records; at most ${limit} per request (INGEST_MAX_BATCH)` }],
    { limit },
  );

/** The batch was not stored: nothing of it was accepted, and the client should send it again. */
export const batchNotStored = (reason: string): DomainError => unavailable(reason, '(batch)');
