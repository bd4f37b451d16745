// The authentication variables every service shares, and the settings resolved from them at start-up.
// AUTH_MODE=off (every caller is a development principal with all scopes) is refused in production.
import { ConfigError, positiveInt, z } from '@mercato/config';
import type { AuthMode } from './authenticator';
import type { JwtSettings } from './jwt-verifier';
import type { RateLimit } from './rate-limiter';

export const authEnv = {
  NODE_ENV: z.string().optional(),
  /** required (default): every non-public route needs a credential; off: development only. */
  AUTH_MODE: z.enum(['required', 'off']).default('required'),
  /** JWKS of the OAuth2 identity provider; without it only API keys are accepted. */
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  AUTH_JWT_TENANT_CLAIM: z.string().min(1).default('tenant'),
  AUTH_JWT_SCOPE_CLAIM: z.string().min(1).default('scope'),
  /** How long a looked-up API key is trusted: the longest a revoked key keeps working. */
  AUTH_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
  /** Sustained requests per second per credential (0: no limit); a key can override it. */
  RATE_LIMIT_RPS: z.coerce.number().min(0).default(100),
  /** Requests a credential may send at once before the sustained rate applies. */
  RATE_LIMIT_BURST: positiveInt(200),
  /** shared: every replica draws on one bucket per credential (Postgres); replica: each its own. */
  RATE_LIMIT_SCOPE: z.enum(['shared', 'replica']).default('shared'),
};

export interface AuthSettings {
  mode: AuthMode;
  developmentTenant: string;
  jwt?: JwtSettings;
  keyCacheTtlMs: number;
  rateLimit: RateLimit;
  /** Rate buckets shared by the replicas (in the auth schema) rather than per process. */
  sharedRateLimits: boolean;
}

type AuthConfig = z.infer<z.ZodObject<typeof authEnv>> & { TENANT_ID: string };

export function resolveAuthSettings(config: AuthConfig, warn: (message: string) => void): AuthSettings {
  if (config.AUTH_MODE === 'off') {
    if (config.NODE_ENV === 'production')
      throw new ConfigError(['AUTH_MODE: "off" is refused when NODE_ENV=production (got "off")']);
    warn(
      `AUTH_MODE=off: AUTHENTICATION IS DISABLED — every caller acts as tenant "${config.TENANT_ID}" with every scope. Development only.`,
    );
  }
  return {
    mode: config.AUTH_MODE,
    developmentTenant: config.TENANT_ID,
    jwt: config.AUTH_JWKS_URL
      ? {
          jwksUrl: config.AUTH_JWKS_URL,
          issuer: config.AUTH_JWT_ISSUER,
          audience: config.AUTH_JWT_AUDIENCE,
          tenantClaim: config.AUTH_JWT_TENANT_CLAIM,
          scopeClaim: config.AUTH_JWT_SCOPE_CLAIM,
        }
      : undefined,
    keyCacheTtlMs: config.AUTH_KEY_CACHE_TTL_MS,
    rateLimit: { rps: config.RATE_LIMIT_RPS, burst: config.RATE_LIMIT_BURST },
    sharedRateLimits: config.RATE_LIMIT_SCOPE === 'shared',
  };
}
