// Who is calling: the tenant and scopes come from the credential, never from a request body.
import type { Scope } from './scopes';

export interface Principal {
  /** Every record written and every row read on behalf of this caller is scoped to this tenant. */
  readonly tenantId: string;
  /** The key id or the token subject, for audit logs (never the secret). */
  readonly subject: string;
  readonly scopes: ReadonlySet<Scope>;
  /** How the caller authenticated. `development` only when AUTH_MODE=off. */
  readonly method: 'api-key' | 'jwt' | 'development';
}

/** Fastify request property the guard fills in. */
export const PRINCIPAL_KEY = 'mercatoPrincipal';
