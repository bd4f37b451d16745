import { describe, expect, it } from 'vitest';
import { AnswerCache } from './answer-cache';
import type { RankedItem } from './ranking';

const items = (id: string): RankedItem[] => [{ itemId: id, score: 1, reason: 'popular' }];

describe('AnswerCache', () => {
  const model = {};
  const user = { recent: [], purchased: new Set<string>() };

  it('answers while the model, the user and the tenant generation are unchanged', () => {
    const cache = new AnswerCache(10);
    cache.set('a', { model, user, generation: 1 }, items('x'));
    expect(cache.get('a', { model, user, generation: 1 })?.items).toEqual(items('x'));
    expect(cache.get('a', { model: {}, user, generation: 1 })).toBeUndefined();
    // A stale entry is dropped.
    expect(cache.get('a', { model, user, generation: 1 })).toBeUndefined();
    cache.set('a', { model, user, generation: 1 }, items('x'));
    expect(
      cache.get('a', { model, user: { recent: [], purchased: new Set() }, generation: 1 }),
    ).toBeUndefined();
    cache.set('a', { model, user, generation: 1 }, items('x'));
    expect(cache.get('a', { model, user, generation: 2 })).toBeUndefined();
  });

  it('keeps a body set on an answer with the entry, and drops it with a stale entry', () => {
    const cache = new AnswerCache(10);
    const inputs = { model, user: undefined, generation: 1 };
    const answer = cache.set('a', inputs, items('x'));
    answer.body = Buffer.from('{"items":[]}');
    expect(cache.get('a', inputs)?.body?.toString()).toBe('{"items":[]}');
    expect(cache.get('a', { ...inputs, generation: 2 })).toBeUndefined();
    expect(cache.set('a', { ...inputs, generation: 2 }, items('y')).body).toBeUndefined();
  });

  it('evicts the least recently used entry beyond its capacity, and holds nothing at capacity 0', () => {
    const cache = new AnswerCache(2);
    const inputs = { model, user: undefined, generation: 0 };
    cache.set('a', inputs, items('a'));
    cache.set('b', inputs, items('b'));
    cache.get('a', inputs);
    cache.set('c', inputs, items('c'));
    expect(cache.get('b', inputs)).toBeUndefined();
    expect(cache.get('a', inputs)?.items).toEqual(items('a'));
    expect(cache.size).toBe(2);
    const none = new AnswerCache(0);
    expect(none.set('a', inputs, items('a')).items).toEqual(items('a'));
    expect(none.get('a', inputs)).toBeUndefined();
  });
});
