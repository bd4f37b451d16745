// Route metadata: which scopes an operation needs, or that it is public. A route with neither is
// refused by the guard, so a new endpoint cannot be exposed by forgetting a decorator.
import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { PRINCIPAL_KEY, type Principal } from './principal';
import type { Scope } from './scopes';

export const SCOPES_METADATA = 'mercato:scopes';
export const PUBLIC_METADATA = 'mercato:public';
export const QUERY_TOKEN_METADATA = 'mercato:query-token';

export const RequireScopes = (...scopes: [Scope, ...Scope[]]) => SetMetadata(SCOPES_METADATA, scopes);
export const Public = () => SetMetadata(PUBLIC_METADATA, true);
/**
 * Also accepts the credential as the `access_token` query parameter, for clients that cannot send
 * headers (the browser's EventSource). Only for read-only streams: URLs end up in more places than
 * headers do, so the access logs redact the parameter.
 */
export const AllowQueryToken = () => SetMetadata(QUERY_TOKEN_METADATA, true);

/** The authenticated caller of a route guarded by RequireScopes. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<Record<string, unknown>>();
  const principal = request[PRINCIPAL_KEY] as Principal | undefined;
  if (!principal) throw new Error('CurrentPrincipal used on a route without RequireScopes');
  return principal;
});
