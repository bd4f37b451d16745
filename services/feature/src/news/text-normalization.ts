// Text normalization for enriched articles: Unicode NFKC (full-width letters, ligatures and
// compatibility spaces fold to their plain forms), invisible format characters removed, and every
// run of whitespace or control characters collapsed to one space. The headline and the body are
// normalized separately and joined by a single newline, so the headline boundary survives for
// anything that reads sentences (the ticker cue rules never look across it).

import { createHash } from 'node:crypto';

// Zero-width space/joiners, word joiner and BOM: invisible, yet they split words for a regex.
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF]/g;
const SPACE_OR_CONTROL = /[\s\p{Cc}]+/gu;

export function normalizeText(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').replace(SPACE_OR_CONTROL, ' ').trim();
}

/** The normalized headline, then (when there is one) a newline and the normalized body. */
export function articleText(headline: string, body: string): string {
  const head = normalizeText(headline);
  const rest = normalizeText(body);
  if (!rest) return head;
  return head ? `${head}\n${rest}` : rest;
}

/**
 * The content dedupe key as NewsArticle.content_hash defines it and ingest computes it: SHA-256
 * (hex) of `headline body`, NFKC, lower-cased, whitespace runs as one space, trimmed. Used only for
 * articles that arrive without one, so they still dedupe against ingest's hashes.
 */
export function contentHash(headline: string, body: string): string {
  const key = `${headline} ${body}`.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Postgres text cannot hold NUL; carried-over fields lose it (and nothing else). */
export const withoutNul = (text: string): string => text.replace(/\u0000/g, '');
