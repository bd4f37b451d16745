// The version stamped on enriched tokens. `tokenize()` from @mercato/ml carries no version of its
// own (a fitted Tokenizer's version hashes its vocabulary, which enrichment does not have), so the
// feature service names the word-splitting rules: 'words-v1'. The probe fingerprint pins what those
// rules do; tokenizer-version.spec.ts fails when tokenize() changes its output, and whoever changes
// it bumps TOKENIZER_VERSION (and the fingerprint) so stored and published tokens say which rules
// made them.
import { tokenize } from '@mercato/ml';
import { createHash } from 'node:crypto';

export const TOKENIZER_VERSION = 'words-v1';

/** Text exercising every rule of tokenize(): case, NFKC, URLs, numbers, percentages, cashtags, apostrophes, punctuation. */
export const TOKENIZER_PROBE =
  "ＡＰＰＬＥ's $TSLA & $BRK.B: Q3 revenue +12.5% to 1,234.56bn — see https://x.co/a?b=1 or www.ex.com! Über-café? naïve";

export function tokenizerFingerprint(): string {
  return createHash('sha256')
    .update(JSON.stringify(tokenize(TOKENIZER_PROBE)))
    .digest('hex')
    .slice(0, 16);
}
