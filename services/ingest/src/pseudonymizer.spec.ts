import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Pseudonymizer } from './pseudonymizer';

const KEY = 'k'.repeat(32);

describe('pseudonymizer', () => {
  it('is the hex HMAC-SHA256 of the user id under the key', () => {
    const p = new Pseudonymizer(KEY);
    expect(p.pseudonym('alice@example.com')).toBe(
      createHmac('sha256', KEY).update('alice@example.com').digest('hex'),
    );
  });

  it('is stable for a key, differs across keys and users, and never contains the raw id', () => {
    const a = new Pseudonymizer(KEY);
    const b = new Pseudonymizer('z'.repeat(32));
    expect(a.pseudonym('u-1')).toBe(a.pseudonym('u-1'));
    expect(a.pseudonym('u-1')).not.toBe(a.pseudonym('u-2'));
    expect(a.pseudonym('u-1')).not.toBe(b.pseudonym('u-1'));
    expect(a.pseudonym('u-1')).not.toContain('u-1');
  });

  it('refuses a short key', () => {
    expect(() => new Pseudonymizer('short')).toThrow(/at least 32/);
  });
});
