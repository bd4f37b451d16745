import { create } from '@bufbuild/protobuf';
import { CatalogItemSchema, UserFeaturesSchema } from '@mercato/contracts';
import { describe, expect, it } from 'vitest';
import { RecsState } from './recs-state';

const features = (fields: { recent?: string[]; purchased?: string[]; count?: bigint } = {}) =>
  create(UserFeaturesSchema, {
    tenantId: 't1',
    userId: 'p1',
    recentItems: (fields.recent ?? []).map((itemId) => ({ itemId })),
    purchasedItemIds: fields.purchased ?? [],
    interactionCount: fields.count ?? 1n,
  });

describe('RecsState', () => {
  it('keeps the latest features per tenant and user, recent items deduplicated in order', () => {
    const state = new RecsState();
    state.applyUserFeatures('t1', 'p1', features({ recent: ['a', 'b', 'a', '', 'c'], purchased: ['b'] }));
    expect(state.tenant('t1').users.get('p1')).toEqual({
      recent: ['a', 'b', 'c'],
      purchased: new Set(['b']),
    });
    state.applyUserFeatures('t1', 'p1', features({ recent: ['d'] }));
    expect(state.tenant('t1').users.get('p1')).toEqual({ recent: ['d'], purchased: new Set() });
    expect(state.peek('t2')).toBeUndefined();
  });

  it('forgets a user on an empty record or a tombstone', () => {
    const state = new RecsState();
    state.applyUserFeatures('t1', 'p1', features({ recent: ['a'] }));
    state.applyUserFeatures('t1', 'p1', features({ count: 0n }));
    expect(state.tenant('t1').users.has('p1')).toBe(false);
    state.applyUserFeatures('t1', 'p2', features({ recent: ['a'] }));
    state.applyUserFeatures('t1', 'p2', null);
    expect(state.tenant('t1').users.has('p2')).toBe(false);
  });

  it('holds the catalog per tenant and tells listeners about the items', () => {
    const state = new RecsState();
    const heard: [string, string[]][] = [];
    state.onCatalogItems((tenant, items) => heard.push([tenant, items.map((i) => i.item)]));
    state.applyCatalog(
      [
        create(CatalogItemSchema, {
          tenantId: 't1',
          itemId: 'x',
          title: 'Red kettle',
          categories: [' Kitchen '],
          available: true,
        }),
        create(CatalogItemSchema, {
          tenantId: '',
          itemId: 'y',
          title: 'Lamp',
          categories: ['home'],
          available: false,
        }),
      ],
      'fallback',
    );
    const t1 = state.tenant('t1');
    expect(t1.isAvailable('x')).toBe(true);
    expect(t1.inCategory('x', 'kitchen')).toBe(true);
    expect(t1.inCategory('unknown', 'kitchen')).toBe(false);
    // Items the catalog has never mentioned are the model's own: available.
    expect(t1.isAvailable('unknown')).toBe(true);
    expect(state.tenant('fallback').isAvailable('y')).toBe(false);
    expect(t1.catalog.get('x')?.features).toEqual({
      item: 'x',
      text: 'Red kettle',
      categories: [' Kitchen '],
    });
    // Availability, categories and new items change answers; a title alone does not.
    const generation = t1.generation;
    const kettle = (fields: { available?: boolean; title?: string }) =>
      create(CatalogItemSchema, {
        tenantId: 't1',
        itemId: 'x',
        title: 'Red kettle',
        categories: ['kitchen'],
        available: true,
        ...fields,
      });
    state.applyCatalog([kettle({ title: 'Red kettle, 2 l' })], 'fallback');
    expect(t1.generation).toBe(generation);
    state.applyCatalog([kettle({ available: false })], 'fallback');
    expect(t1.generation).toBe(generation + 1);
    t1.popular = { popular: [], trending: [], asOf: new Date() };
    expect(t1.generation).toBe(generation + 2);
    expect(heard.slice(0, 2)).toEqual([
      ['t1', ['x']],
      ['fallback', ['y']],
    ]);
  });

  it('keeps the newest version of an item when an older one is read after it', () => {
    // Across the re-keying of catalog.items.v1 an item's old-keyed version may sit in another
    // partition than its newer versions, and be read last.
    const state = new RecsState();
    const version = (seconds: bigint, available: boolean) =>
      create(CatalogItemSchema, {
        tenantId: 't1',
        itemId: 'x',
        title: 'Kettle',
        available,
        updatedAt: { seconds, nanos: 0 },
      });
    state.applyCatalog([version(200n, false)], 'fallback');
    state.applyCatalog([version(100n, true)], 'fallback');
    expect(state.tenant('t1').isAvailable('x')).toBe(false);
    expect(state.tenant('t1').catalog.get('x')?.updatedMs).toBe(200_000);
    state.applyCatalog([version(200n, true)], 'fallback');
    expect(state.tenant('t1').isAvailable('x')).toBe(true);
  });

  it('tells who waits for it when the state topics are read to their end', async () => {
    const state = new RecsState();
    let caughtUp = false;
    const waiting = state.whenLoaded().then(() => {
      caughtUp = true;
    });
    await Promise.resolve();
    expect(caughtUp).toBe(false);
    state.markLoaded();
    await waiting;
    expect(caughtUp).toBe(true);
    await state.whenLoaded();
  });
});
