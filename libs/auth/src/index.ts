export { SCOPES, isScope, type Scope } from './scopes';
export { PRINCIPAL_KEY, type Principal } from './principal';
export {
  RequireScopes,
  Public,
  AllowQueryToken,
  CurrentPrincipal,
  SCOPES_METADATA,
  PUBLIC_METADATA,
  QUERY_TOKEN_METADATA,
} from './decorators';
export { AuthGuard, AUTH_REFUSAL_LISTENER, type AuthRefusalListener } from './auth.guard';
export { AuthError, type AuthFailure } from './auth-error';
export {
  Authenticator,
  TENANT_HEADER,
  TENANT_ID_PATTERN,
  PLATFORM_TENANT,
  type AuthMode,
  type AuthenticatorOptions,
  type HeaderBag,
} from './authenticator';
export { authEnv, resolveAuthSettings, type AuthSettings } from './auth.config';
export { AUTH_MIGRATIONS_DIR, AUTH_SCHEMA, migrateAuthSchema } from './auth-schema';
export { ApiKeyStore, type ApiKeyRecord, type NewApiKey, type AuthQueryable } from './api-key.store';
export { generateApiKey, parseApiKey, hashSecret, formatApiKey } from './api-key';
export { RateLimiter, type RateLimit } from './rate-limiter';
export { PostgresRateBuckets, SharedRateLimiter, type RateBucketStore } from './shared-rate-limiter';
export { authHeaders, serviceApiKey } from './service-credentials';
export type { JwtSettings } from './jwt-verifier';
