// User ids are pseudonymized at the edge: hex(HMAC-SHA256(key, tenant id + NUL + user id)). The raw
// id never leaves the caller of this module; topics, features, models and logs see only the pseudonym.
// The tenant is part of the input so one person known to two tenants cannot be linked across them.
// Every service that has to find a user's data from a raw id (ingest, recommendations, deletion)
// computes the pseudonym the same way with the same key.
import { ConfigError, z } from '@mercato/config';
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * Used only when PSEUDONYMIZATION_KEY is unset and NODE_ENV is not `production`, so `npx mercato up`
 * and the tests run without a secret. Pseudonyms made with it are not secret: anyone can recompute
 * them. Production refuses to start without a real key.
 */
export const DEVELOPMENT_PSEUDONYMIZATION_KEY = 'mercato-development-pseudonymization-key-not-a-secret';

export const pseudonymizationEnv = {
  NODE_ENV: z.string().optional(),
  /** HMAC-SHA256 key for user ids (at least 32 characters; PSEUDONYMIZATION_KEY_FILE works too). */
  PSEUDONYMIZATION_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
};

/** The configured key; without one, production stops (exit code 78) and development warns. */
export function resolvePseudonymizationKey(
  config: { NODE_ENV?: string; PSEUDONYMIZATION_KEY?: string },
  warn: (message: string) => void,
): string {
  if (config.PSEUDONYMIZATION_KEY !== undefined) return config.PSEUDONYMIZATION_KEY;
  if (config.NODE_ENV === 'production') {
    throw new ConfigError([
      'PSEUDONYMIZATION_KEY: required when NODE_ENV=production (at least 32 characters; or PSEUDONYMIZATION_KEY_FILE) (it is not set)',
    ]);
  }
  warn(
    'PSEUDONYMIZATION_KEY is not set: using the built-in development key; user pseudonyms are NOT secret (set PSEUDONYMIZATION_KEY or PSEUDONYMIZATION_KEY_FILE outside development)',
  );
  return DEVELOPMENT_PSEUDONYMIZATION_KEY;
}

export class Pseudonymizer {
  /** Imported once: an HMAC from a KeyObject skips copying the key on every call. */
  private readonly key: KeyObject;

  constructor(key: string) {
    if (key.length < 32) throw new Error('the pseudonymization key must be at least 32 characters');
    this.key = createSecretKey(Buffer.from(key, 'utf8'));
  }

  pseudonym(tenantId: string, userId: string): string {
    return createHmac('sha256', this.key).update(`${tenantId}\u0000${userId}`, 'utf8').digest('hex');
  }
}
