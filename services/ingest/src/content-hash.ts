// The content dedupe key of an article: the same story re-sent under another id, re-cased, with
// other whitespace or compatibility characters (full-width letters, ligatures) hashes the same.
import { createHash } from 'node:crypto';

/** NFKC, lower case, runs of whitespace as one space, trimmed. */
export function normalizeText(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** SHA-256 (hex) of the normalized headline and body, joined by a space. */
export function contentHash(headline: string, body = ''): string {
  return createHash('sha256')
    .update(normalizeText(`${headline} ${body}`), 'utf8')
    .digest('hex');
}
