import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_PSEUDONYMIZATION_KEY, Pseudonymizer, resolvePseudonymizationKey } from './pseudonymizer';

const KEY = 'k'.repeat(32);

describe('pseudonymizer', () => {
  it('is the hex HMAC-SHA256 of tenant, NUL and user id under the key', () => {
    const p = new Pseudonymizer(KEY);
    expect(p.pseudonym('acme', 'alice@example.com')).toBe(
      createHmac('sha256', KEY).update('acme\u0000alice@example.com').digest('hex'),
    );
  });

  it('is stable for a key, differs across keys, users and tenants, and never contains the raw id', () => {
    const a = new Pseudonymizer(KEY);
    const b = new Pseudonymizer('z'.repeat(32));
    expect(a.pseudonym('t', 'u-1')).toBe(a.pseudonym('t', 'u-1'));
    expect(a.pseudonym('t', 'u-1')).not.toBe(a.pseudonym('t', 'u-2'));
    expect(a.pseudonym('t', 'u-1')).not.toBe(a.pseudonym('t2', 'u-1'));
    expect(a.pseudonym('t', 'u-1')).not.toBe(b.pseudonym('t', 'u-1'));
    expect(a.pseudonym('t', 'u-1')).not.toContain('u-1');
  });

  it('refuses a short key', () => {
    expect(() => new Pseudonymizer('short')).toThrow(/at least 32/);
  });

  it('requires a key in production and warns about the development key elsewhere', () => {
    const warnings: string[] = [];
    expect(() => resolvePseudonymizationKey({ NODE_ENV: 'production' }, (m) => warnings.push(m))).toThrow(
      /PSEUDONYMIZATION_KEY: required/,
    );
    expect(resolvePseudonymizationKey({}, (m) => warnings.push(m))).toBe(DEVELOPMENT_PSEUDONYMIZATION_KEY);
    expect(warnings).toHaveLength(1);
    expect(resolvePseudonymizationKey({ PSEUDONYMIZATION_KEY: KEY }, (m) => warnings.push(m))).toBe(KEY);
  });
});
