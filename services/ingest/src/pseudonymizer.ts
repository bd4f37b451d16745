// User ids are pseudonymized at the edge: hex(HMAC-SHA256(key, utf8(user id))). The raw id never
// leaves this module's caller; anything downstream (topics, features, models) sees only the pseudonym.
// Another service that has to find a user's data (e.g. recommendations for a raw id) must compute the
// pseudonym the same way with the same key.
import { createHmac } from 'node:crypto';

export class Pseudonymizer {
  private readonly key: Buffer;

  constructor(key: string) {
    if (key.length < 32) throw new Error('the pseudonymization key must be at least 32 characters');
    this.key = Buffer.from(key, 'utf8');
  }

  pseudonym(userId: string): string {
    return createHmac('sha256', this.key).update(userId, 'utf8').digest('hex');
  }
}
