// Deterministic alert ids (RFC 4122 version 5, name-based): the same surge decision — tenant,
// ticker, window, direction, severity — always gets the same id, so a batch redone after a crash
// cannot raise a second alert, and the id doubles as the Kafka event id consumers dedupe on.
import { uuidV5 } from '@mercato/kafka';
import type { Direction, Severity } from './alert-rules';

/** The namespace of Mercato sentiment alerts (a fixed random UUID). */
const NAMESPACE = '6f3b1a52-4c2e-4d8e-9a61-2b7f0c5d9e14';

export const alertIdFor = (a: {
  tenantId: string;
  ticker: string;
  windowSize: string;
  windowStart: number;
  direction: Direction;
  severity: Severity;
}): string =>
  uuidV5(
    NAMESPACE,
    [a.tenantId, a.ticker, a.windowSize, new Date(a.windowStart).toISOString(), a.direction, a.severity].join(
      '\u0000',
    ),
  );
