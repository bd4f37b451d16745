import { describe, expect, it } from 'vitest';
import { generateApiKey, hashSecret, parseApiKey, secretMatches } from './api-key';

describe('API keys', () => {
  it('formats a 64-bit id and a 256-bit secret that parse back', () => {
    const key = generateApiKey();
    expect(key.token).toMatch(/^mk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.secret, 'base64url')).toHaveLength(32);
    expect(parseApiKey(key.token)).toEqual({ id: key.id, secret: key.secret });
    expect(generateApiKey().token).not.toBe(key.token);
  });

  it('rejects malformed keys and compares secrets by hash', () => {
    for (const bad of [
      '',
      'mk_',
      'mk_abc_def',
      `mk_${'g'.repeat(16)}_${'a'.repeat(43)}`,
      `xk_${'a'.repeat(16)}_${'a'.repeat(43)}`,
    ])
      expect(parseApiKey(bad)).toBeUndefined();
    const { secret } = generateApiKey();
    expect(secretMatches(secret, hashSecret(secret))).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}x`, hashSecret(secret))).toBe(false);
  });
});
