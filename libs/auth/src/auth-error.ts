// The one error every authentication failure becomes: an HTTP status, a machine-readable reason and
// a message a human can act on. gRPC callers map the status to a gRPC code.
export type AuthFailure =
  | 'missing'
  | 'malformed'
  | 'unknown'
  | 'revoked'
  | 'expired'
  | 'bad_signature'
  | 'invalid_claims'
  | 'insufficient_scope'
  | 'tenant_not_allowed'
  | 'no_scopes_declared'
  | 'rate_limited';

export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403 | 429,
    readonly reason: AuthFailure,
    message: string,
    /** Seconds, for 429. */
    readonly retryAfterS?: number,
    /** The scopes the operation needs, for 403 insufficient_scope. */
    readonly requiredScopes?: readonly string[],
  ) {
    super(message);
    this.name = 'AuthError';
  }

  /** The RFC 6750 challenge for 401/403 answers. */
  get challenge(): string | undefined {
    if (this.status === 401) {
      return this.reason === 'missing'
        ? 'Bearer realm="mercato"'
        : `Bearer realm="mercato", error="invalid_token", error_description="${this.reason}"`;
    }
    if (this.reason === 'insufficient_scope')
      return `Bearer realm="mercato", error="insufficient_scope", scope="${(this.requiredScopes ?? []).join(' ')}"`;
    return undefined;
  }

  /** The answer body, shaped like the services' validation errors (`errors` by field). */
  body(): Record<string, unknown> {
    const error = { 401: 'unauthorized', 403: 'forbidden', 429: 'too_many_requests' }[this.status];
    return {
      statusCode: this.status,
      error,
      reason: this.reason,
      message: this.message,
      errors: [{ field: this.status === 429 ? '(credential)' : 'authorization', reason: this.message }],
    };
  }
}
