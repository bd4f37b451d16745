export { SCOPES, isScope, type Scope } from './scopes';
export { PRINCIPAL_KEY, type Principal } from './principal';
export { RequireScopes, Public, CurrentPrincipal, SCOPES_METADATA, PUBLIC_METADATA } from './decorators';
export { AuthGuard, AUTH_SETTINGS, type AuthSettings } from './auth.guard';
