import { describe, expect, it } from 'vitest';
import { articleEventId } from './news-ingest.service';

describe('article event ids', () => {
  it('are the same for the same parts and differ otherwise, with unambiguous boundaries', () => {
    expect(articleEventId('default', 'reuters', '1')).toBe(articleEventId('default', 'reuters', '1'));
    expect(articleEventId('default', 'reuters', '1')).not.toBe(articleEventId('default', 'reuters', '2'));
    expect(articleEventId('default', 'ab', 'c')).not.toBe(articleEventId('default', 'a', 'bc'));
    // The id every article got before the derivation moved to @mercato/kafka.
    expect(articleEventId('default', 'reuters', '1')).toBe('31353673-c900-8f12-b930-c8a1f183e6e4');
  });
});
