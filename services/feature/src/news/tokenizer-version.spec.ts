import { describe, expect, it } from 'vitest';
import { TOKENIZER_VERSION, tokenizerFingerprint } from './tokenizer-version';

describe('TOKENIZER_VERSION', () => {
  it('still names what tokenize() does: a failure here means bump the version and the fingerprint', () => {
    expect({ version: TOKENIZER_VERSION, fingerprint: tokenizerFingerprint() }).toEqual({
      version: 'words-v1',
      fingerprint: '37d723ae90bcbfcc',
    });
  });
});
