// The errors services throw, and the one body every HTTP error answer has. Service layers throw a
// DomainError saying what went wrong (invalid input, not found, a conflict, unavailable, …) without
// knowing about HTTP; the exception filter (http-error.filter.ts) turns it into
// `{ statusCode, error, message, errors: [{ field, reason }], …details }`, the shape libs/auth's
// refusals also have, so a client reads every service's 4xx the same way.

/** One problem with a request: the field (or a parenthesized part such as `(body)`) and why. */
export interface FieldIssue {
  field: string;
  reason: string;
}

/** The body of every error answer. `details` of the error (e.g. `limit`, `retryable`) sit beside. */
export interface ErrorBody {
  statusCode: number;
  /** Machine-readable code, e.g. `invalid_request`, `not_found`, `model_exists`. */
  error: string;
  /** The problems in one line, for people. */
  message: string;
  errors: FieldIssue[];
  [detail: string]: unknown;
}

/** What kind of failure it is; the HTTP edge maps each to its status. */
export type DomainErrorKind =
  'invalid' | 'not_found' | 'conflict' | 'too_large' | 'unsupported_media_type' | 'unavailable' | 'failed';

export const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  failed: 500,
};

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    /** Machine-readable code (the body's `error`). */
    readonly code: string,
    readonly errors: FieldIssue[],
    /** Extra members of the body, e.g. `{ limit: 1000 }` or `{ version: 3 }`. */
    readonly details: Record<string, unknown> = {},
    message: string = errors.map((e) => `${e.field}: ${e.reason}`).join('; '),
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return STATUS_OF_KIND[this.kind];
  }

  body(): ErrorBody {
    return {
      statusCode: this.status,
      error: this.code,
      message: this.message,
      errors: this.errors,
      ...this.details,
    };
  }
}

/** 400: every problem with its field. */
export const invalidInput = (errors: FieldIssue[], code = 'invalid_request'): DomainError =>
  new DomainError('invalid', code, errors, {}, 'invalid request');

/** 400 for one field. */
export const invalidField = (field: string, reason: string, code = 'invalid_request'): DomainError =>
  invalidInput([{ field, reason }], code);

/** 404: `what` names the missing thing ("model \"x\" does not exist"). */
export const notFound = (message: string, field = '(request)'): DomainError =>
  new DomainError('not_found', 'not_found', [{ field, reason: message }], {}, message);

/** 409: the request contradicts the current state; `code` says how, `details` what the state is. */
export const conflict = (code: string, message: string, details: Record<string, unknown> = {}): DomainError =>
  new DomainError('conflict', code, [{ field: '(request)', reason: message }], details, message);

/** 503 with Retry-After: nothing was done, the same request may succeed soon. */
export const unavailable = (reason: string, field = '(request)'): DomainError =>
  new DomainError('unavailable', 'unavailable', [{ field, reason }], { retryable: true }, reason);

/** 500 that the service detected itself (stored data failed a check, a computation failed). */
export const failed = (code: string, message: string): DomainError =>
  new DomainError('failed', code, [{ field: '(request)', reason: message }], {}, message);
