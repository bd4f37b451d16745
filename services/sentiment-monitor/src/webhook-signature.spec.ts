import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signBody, verifySignature } from './webhook-signature';
import { retryDelayMs } from './retry-backoff';

describe('webhook signatures', () => {
  it('is HMAC-SHA256 of the raw body, hex, with the sha256= prefix', () => {
    // RFC 4231 test case 2.
    expect(signBody('Jefe', 'what do ya want for nothing?')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('verifies the exact bytes only', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ alert: { ticker: 'ACME', share: 0.9 } });
    const header = signBody(secret, body);
    expect(header).toBe(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    expect(verifySignature(secret, body, header)).toBe(true);
    expect(verifySignature(secret, Buffer.from(body), header)).toBe(true);
    expect(verifySignature(secret, body.replace('0.9', '0.8'), header)).toBe(false);
    expect(verifySignature(newWebhookSecret(), body, header)).toBe(false);
    expect(verifySignature(secret, body, undefined)).toBe(false);
    expect(verifySignature(secret, body, 'sha256=00')).toBe(false);
  });

  it('generates distinct 256-bit secrets', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});

describe('webhook retry backoff', () => {
  it('doubles per attempt between half and all of the ceiling', () => {
    expect(retryDelayMs(1, 1_000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1_000, 60_000, () => 1)).toBe(1_000);
    expect(retryDelayMs(3, 1_000, 60_000, () => 0)).toBe(2_000);
    expect(retryDelayMs(3, 1_000, 60_000, () => 1)).toBe(4_000);
  });

  it('is capped', () => {
    expect(retryDelayMs(30, 1_000, 60_000, () => 1)).toBe(60_000);
    expect(retryDelayMs(30, 1_000, 60_000, () => 0)).toBe(30_000);
  });

  it('jitters', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(4, 1_000, 60_000)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(4_000);
      expect(d).toBeLessThanOrEqual(8_000);
    }
  });
});
