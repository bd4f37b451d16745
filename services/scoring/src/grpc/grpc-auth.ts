// Who is calling over gRPC: the request metadata goes through @mercato/auth's Authenticator, the
// same one the HTTP guard uses (API keys, JWTs, scopes, rate limits, the development principal when
// AUTH_MODE=off), and its refusals become the matching gRPC status codes.
import { Code, ConnectError } from '@connectrpc/connect';
import { AuthError, type Authenticator, type HeaderBag, type Principal, type Scope } from '@mercato/auth';

const CODES: Record<AuthError['status'], Code> = {
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  429: Code.ResourceExhausted,
};

/** The principal for the call, or a ConnectError (UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED). */
export async function authenticateGrpc(
  authenticator: Authenticator,
  metadata: Headers,
  required: Scope,
): Promise<Principal> {
  const headers: HeaderBag = {};
  metadata.forEach((value, name) => {
    headers[name] = value;
  });
  try {
    return await authenticator.authenticate(headers, [required]);
  } catch (err) {
    if (err instanceof AuthError) throw new ConnectError(err.message, CODES[err.status]);
    throw err;
  }
}
