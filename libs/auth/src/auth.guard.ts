// The one guard every service installs (AuthModule registers it globally): public routes pass,
// routes with RequireScopes get a Principal or a 401/403/429 with the reason, routes with neither are
// refused. Kafka handlers (non-HTTP contexts) are not guarded: their tenant is in the record.
import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError } from './auth-error';
import { Authenticator, type HeaderBag } from './authenticator';
import { PUBLIC_METADATA, QUERY_TOKEN_METADATA, SCOPES_METADATA } from './decorators';
import { PRINCIPAL_KEY } from './principal';
import type { Scope } from './scopes';

/** Called for every refused request (bootstrapService counts them in mercato_auth_refused_total). */
export const AUTH_REFUSAL_LISTENER = Symbol('AUTH_REFUSAL_LISTENER');
export type AuthRefusalListener = (reason: string) => void;

interface GuardedRequest {
  headers: HeaderBag;
  query?: unknown;
  [PRINCIPAL_KEY]?: unknown;
}

interface GuardedReply {
  header(name: string, value: string): unknown;
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
    @Inject(AUTH_REFUSAL_LISTENER) private readonly onRefused: AuthRefusalListener,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, targets)) return true;
    const scopes = this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_METADATA, targets);
    const http = ctx.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    try {
      if (!scopes || scopes.length === 0)
        throw new AuthError(403, 'no_scopes_declared', 'this operation declares no scopes and is refused');
      request[PRINCIPAL_KEY] = await this.authenticator.authenticate(
        request.headers,
        scopes,
        this.reflector.getAllAndOverride<boolean>(QUERY_TOKEN_METADATA, targets)
          ? queryToken(request.query)
          : undefined,
      );
      return true;
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      this.onRefused(err.reason);
      const reply = http.getResponse<GuardedReply>();
      if (err.challenge) reply.header('www-authenticate', err.challenge);
      if (err.retryAfterS) reply.header('retry-after', String(err.retryAfterS));
      throw new HttpException(err.body(), err.status);
    }
  }
}

function queryToken(query: unknown): string | undefined {
  const token = (query as Record<string, unknown> | undefined)?.access_token;
  return typeof token === 'string' ? token : undefined;
}
