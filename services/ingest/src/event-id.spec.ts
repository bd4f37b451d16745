import { describe, expect, it } from 'vitest';
import { deterministicUuid } from './event-id';
import { articleEventId } from './news-ingest.service';

describe('deterministic event ids', () => {
  it('are version-8 RFC 9562 UUIDs', () => {
    expect(deterministicUuid('ns', ['a'])).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('are the same for the same parts and differ otherwise, with unambiguous boundaries', () => {
    expect(articleEventId('default', 'reuters', '1')).toBe(articleEventId('default', 'reuters', '1'));
    expect(articleEventId('default', 'reuters', '1')).not.toBe(articleEventId('default', 'reuters', '2'));
    expect(articleEventId('default', 'ab', 'c')).not.toBe(articleEventId('default', 'a', 'bc'));
    expect(deterministicUuid('x', ['1'])).not.toBe(deterministicUuid('y', ['1']));
  });
});
