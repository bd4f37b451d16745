import { create } from '@bufbuild/protobuf';
import { CatalogItemSchema, UserFeaturesSchema } from '@mercato/contracts';
import {
  type RecommenderModel,
  selectBackend,
  type Interaction,
  type RecommenderItem,
  trainRecommender,
} from '@mercato/ml';
import { beforeAll, describe, expect, it } from 'vitest';
import { rank, type ExcludeValue } from './ranking';
import { RecsState } from './recs-state';

// Two tastes: users u0-u19 buy kitchen items, u20-u39 buy books.
const items: RecommenderItem[] = Array.from({ length: 40 }, (_, i) => ({
  item: `i${i}`,
  text: i < 20 ? `steel kettle pan ${i}` : `novel story book ${i}`,
  categories: [i < 20 ? 'kitchen' : 'books'],
}));
const interactions: Interaction[] = [];
for (let u = 0; u < 40; u++)
  for (let k = 0; k < 12; k++) {
    const base = u < 20 ? 0 : 20;
    interactions.push({
      user: `u${u}`,
      item: `i${base + ((u + k * 3) % 20)}`,
      value: 1,
      timestamp: u * 100 + k,
    });
  }

let model: RecommenderModel;
beforeAll(async () => {
  const { tf } = await selectBackend('auto');
  model = await trainRecommender(
    tf,
    { interactions, items },
    { objective: 'implicit', dim: 8, epochs: 15, batchSize: 256, seed: 3 },
  );
});

const request = (userId: string, k = 5, exclude: ExcludeValue[] = [], category?: string) => ({
  userId,
  k,
  exclude: new Set(exclude),
  category,
});

function stateWith(users: Record<string, { recent: string[]; purchased: string[] }>): RecsState {
  const state = new RecsState();
  for (const [id, u] of Object.entries(users))
    state.applyUserFeatures(
      't',
      id,
      create(UserFeaturesSchema, {
        userId: id,
        recentItems: u.recent.map((itemId) => ({ itemId })),
        purchasedItemIds: u.purchased,
        interactionCount: 1n,
      }),
    );
  state.applyCatalog(
    items.map((i) =>
      create(CatalogItemSchema, {
        itemId: i.item,
        title: i.text,
        categories: i.categories,
        available: i.item !== 'i1',
      }),
    ),
    't',
  );
  return state;
}

describe('rank', () => {
  it('personalizes a known user, never returning purchases or unavailable items', () => {
    const state = stateWith({ u0: { recent: ['i3'], purchased: ['i0', 'i2'] } });
    const out = rank(model, state.tenant('t'), request('u0', 40));
    expect(out.every((r) => r.reason === 'personalized')).toBe(true);
    const ids = out.map((r) => r.itemId);
    expect(ids).not.toContain('i0');
    expect(ids).not.toContain('i2');
    expect(ids).not.toContain('i1');
    expect(ids).toContain('i3');
    expect(out.length).toBe(37);
    // Kitchen first for a kitchen buyer.
    expect(out.slice(0, 5).every((r) => Number(r.itemId.slice(1)) < 20)).toBe(true);
  });

  it('leaves out recently seen items on request', () => {
    const state = stateWith({ u0: { recent: ['i3', 'i4'], purchased: [] } });
    const ids = rank(model, state.tenant('t'), request('u0', 40, ['seen'])).map((r) => r.itemId);
    expect(ids).not.toContain('i3');
    expect(ids).not.toContain('i4');
  });

  it('folds in the history of a user the model does not know', () => {
    const state = stateWith({ newcomer: { recent: ['i25', 'i26', 'i27'], purchased: [] } });
    const out = rank(model, state.tenant('t'), request('newcomer', 5));
    expect(out.every((r) => r.reason === 'similar_to_recent')).toBe(true);
    expect(out.every((r) => Number(r.itemId.slice(1)) >= 20)).toBe(true);
  });

  it('gives a user without history the trending and popular lists, in category, then the model biases', () => {
    const state = stateWith({});
    const tenant = state.tenant('t');
    tenant.popular = {
      trending: [{ itemId: 'i30', score: 9, categories: ['books'] }],
      popular: [
        { itemId: 'i1', score: 8, categories: ['kitchen'] },
        { itemId: 'i5', score: 7, categories: ['kitchen'] },
        { itemId: 'i31', score: 6, categories: ['books'] },
      ],
      asOf: new Date(),
    };
    const out = rank(model, tenant, request('stranger', 4));
    expect(out.map((r) => r.itemId).slice(0, 3)).toEqual(['i30', 'i5', 'i31']);
    expect(out).toHaveLength(4);
    expect(out.every((r) => r.reason === 'popular')).toBe(true);
    const books = rank(model, tenant, request('stranger', 6, [], 'books'));
    expect(books.map((r) => r.itemId).slice(0, 2)).toEqual(['i30', 'i31']);
    expect(books.every((r) => Number(r.itemId.slice(1)) >= 20)).toBe(true);
    expect(books).toHaveLength(6);
  });

  it('follows catalog changes and new items at once: withdrawn, restocked, recategorized, added', () => {
    const state = stateWith({ u0: { recent: ['i3'], purchased: [] } });
    const tenant = state.tenant('t');
    const ids = (category?: string): string[] =>
      rank(model, tenant, request('u0', 40, [], category)).map((r) => r.itemId);
    const first = ids()[0] as string;
    const catalogRecord = (itemId: string, available: boolean, categories: string[]) =>
      create(CatalogItemSchema, { itemId, title: itemId, categories, available });
    state.applyCatalog([catalogRecord(first, false, ['kitchen'])], 't');
    expect(ids()).not.toContain(first);
    expect(ids('kitchen')).not.toContain(first);
    state.applyCatalog([catalogRecord(first, true, ['garden'])], 't');
    expect(ids()).toContain(first);
    expect(ids('kitchen')).not.toContain(first);
    expect(ids('garden')).toEqual([first]);
    // An item the model was not trained on, added to it as it arrives (scoring's catalog listener).
    const fresh = model.addItems([{ item: 'i-new', text: 'steel kettle', categories: ['garden'] }]);
    expect(fresh).toBe(1);
    state.applyCatalog([catalogRecord('i-new', true, ['garden'])], 't');
    expect(ids('garden').sort()).toEqual([first, 'i-new'].sort());
  });

  it('ranks through an index with the same filters, never short of K while K items pass', () => {
    // Six cells, one read per query: the filters make it read more.
    model.buildIndex({ exactBelow: 0, lists: 6, probe: 1 });
    try {
      const state = stateWith({ u0: { recent: ['i3'], purchased: ['i0', 'i4'] } });
      const tenant = state.tenant('t');
      // Every item but the purchases and the unavailable one (an earlier test added i-new to the model).
      const all = rank(model, tenant, request('u0', 50));
      expect(all.map((r) => r.itemId).sort()).toEqual(
        model.itemIds.filter((i) => !['i0', 'i1', 'i4'].includes(i)).sort(),
      );
      const books = rank(model, tenant, request('u0', 10, ['seen'], 'books'));
      expect(books).toHaveLength(10);
      expect(books.every((r) => Number(r.itemId.slice(1)) >= 20)).toBe(true);
      expect(rank(model, tenant, request('u0', 3))).toHaveLength(3);
    } finally {
      model.buildIndex();
    }
  });

  it('makes a sequential model’s user of their latest items, known to it or not', async () => {
    const { tf } = await selectBackend('auto');
    const sequential = await trainRecommender(
      tf,
      { interactions, items },
      {
        objective: 'sequential',
        dim: 8,
        epochs: 10,
        batchSize: 128,
        historyLength: 5,
        negatives: 64,
        seed: 3,
      },
    );
    // A kitchen buyer whose latest items are books is offered books now.
    const state = stateWith({
      u0: { recent: ['i25', 'i26', 'i27'], purchased: [] },
      newcomer: { recent: ['i5', 'i6'], purchased: [] },
    });
    const turned = rank(sequential, state.tenant('t'), request('u0', 5, ['seen']));
    expect(turned.every((r) => r.reason === 'personalized')).toBe(true);
    expect(turned.filter((r) => Number(r.itemId.slice(1)) >= 20).length).toBeGreaterThanOrEqual(4);
    const newcomer = rank(sequential, state.tenant('t'), request('newcomer', 5, ['seen']));
    expect(newcomer.every((r) => r.reason === 'similar_to_recent')).toBe(true);
    expect(newcomer.filter((r) => Number(r.itemId.slice(1)) < 20).length).toBeGreaterThanOrEqual(4);
    // Their vector is kept for the next request, and made again from their next features.
    expect(rank(sequential, state.tenant('t'), request('newcomer', 5, ['seen']))).toEqual(newcomer);
    state.applyUserFeatures(
      't',
      'newcomer',
      create(UserFeaturesSchema, {
        userId: 'newcomer',
        recentItems: ['i30', 'i31', 'i32'].map((itemId) => ({ itemId })),
        interactionCount: 5n,
      }),
    );
    const moved = rank(sequential, state.tenant('t'), request('newcomer', 5, ['seen']));
    expect(moved.filter((r) => Number(r.itemId.slice(1)) >= 20).length).toBeGreaterThanOrEqual(4);
    // Without history, a known user is their vector as of training.
    const quiet = rank(sequential, stateWith({}).tenant('t'), request('u30', 5));
    expect(quiet.every((r) => r.reason === 'personalized')).toBe(true);
  });

  it('answers from the popular lists alone when no model is loaded', () => {
    const tenant = stateWith({}).tenant('t');
    tenant.popular = {
      trending: [],
      popular: [{ itemId: 'i7', score: 3, categories: [] }],
      asOf: new Date(),
    };
    expect(rank(undefined, tenant, request('anyone'))).toEqual([
      { itemId: 'i7', score: 3, reason: 'popular' },
    ]);
    expect(rank(undefined, undefined, request('anyone'))).toEqual([]);
  });
});
