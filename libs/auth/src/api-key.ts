// The API key format: `mk_<id>_<secret>`, where id (16 lowercase base32-ish hex characters) names
// the row and secret is 256 random bits in base64url. The id is not secret (it appears in lists and
// audit logs); the secret is shown once at creation and only its SHA-256 is stored.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PATTERN = /^mk_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyParts {
  id: string;
  secret: string;
}

export const formatApiKey = ({ id, secret }: ApiKeyParts): string => `mk_${id}_${secret}`;

export function generateApiKey(): ApiKeyParts & { token: string } {
  const parts = { id: randomBytes(8).toString('hex'), secret: randomBytes(32).toString('base64url') };
  return { ...parts, token: formatApiKey(parts) };
}

/** The id and secret of a well-formed key, or undefined. */
export function parseApiKey(token: string): ApiKeyParts | undefined {
  const m = KEY_PATTERN.exec(token);
  return m ? { id: m[1] as string, secret: m[2] as string } : undefined;
}

export const looksLikeApiKey = (token: string): boolean => token.startsWith('mk_');

export const hashSecret = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** Constant-time comparison of a presented secret with the stored hash. */
export const secretMatches = (secret: string, stored: Buffer): boolean => {
  const presented = hashSecret(secret);
  return presented.length === stored.length && timingSafeEqual(presented, stored);
};
