// Deterministic alert ids (RFC 4122 version 5, name-based): the same surge decision — tenant,
// ticker, window, direction, severity — always gets the same id, so a batch redone after a crash
// cannot raise a second alert, and the id doubles as the Kafka event id consumers dedupe on.
import { createHash } from 'node:crypto';
import type { Direction, Severity } from './alert-rules';

/** The namespace of Mercato sentiment alerts (a fixed random UUID). */
const NAMESPACE = '6f3b1a52-4c2e-4d8e-9a61-2b7f0c5d9e14';

export function uuidV5(name: string, namespace = NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const alertIdFor = (a: {
  tenantId: string;
  ticker: string;
  windowSize: string;
  windowStart: number;
  direction: Direction;
  severity: Severity;
}): string =>
  uuidV5(
    [a.tenantId, a.ticker, a.windowSize, new Date(a.windowStart).toISOString(), a.direction, a.severity].join(
      '\u0000',
    ),
  );
