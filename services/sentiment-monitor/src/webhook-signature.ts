// Webhook signing: HMAC-SHA256 of the exact request body bytes with the subscription's secret, sent
// as `x-mercato-signature: sha256=<hex>`. The body also carries `sentAt`, equal to the
// `x-mercato-timestamp` header, so the timestamp a receiver checks for freshness is signed too.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-mercato-signature';
export const TIMESTAMP_HEADER = 'x-mercato-timestamp';
export const EVENT_ID_HEADER = 'x-mercato-event-id';

export const signBody = (secret: string, body: string | Buffer): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** Constant-time check of a signature header against the body (what a receiver does). */
export function verifySignature(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A new subscription secret: 32 random bytes, hex, with a prefix that makes leaks easy to grep for. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('hex')}`;
