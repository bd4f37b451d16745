import { create } from '@bufbuild/protobuf';
import { CatalogItemSchema } from '@mercato/contracts';
import { RecommenderModel, recommenderHyperparameters } from '@mercato/ml';
import { seededRandom } from '@mercato/synthetic';
import { describe, expect, it } from 'vitest';
import { RecsState, type TenantState } from './recs-state';
import { ServingIndex, servingIndex } from './serving-index';

const CATEGORIES = ['kitchen', 'garden', 'books', 'toys'];

/** A model over `count` items with made-up tables: the index reads only its rows. */
function modelOf(count: number): RecommenderModel {
  const dim = 4;
  const items = Array.from({ length: count }, (_, i) => `i${i}`);
  return new RecommenderModel({
    hp: recommenderHyperparameters({ objective: 'implicit', dim }),
    users: [],
    items,
    vocab: ['<pad>'],
    itemTokens: items.map(() => []),
    globalMean: 0,
    valueRange: [1, 1],
    tables: {
      userEmbedding: new Float32Array(0),
      userBias: new Float32Array(0),
      itemEmbedding: new Float32Array(count * dim).fill(0.1),
      itemBias: new Float32Array(count),
      tokenEmbedding: new Float32Array(dim),
      tokenBias: new Float32Array(1),
    },
  });
}

const record = (itemId: string, available: boolean, categories: string[]) =>
  create(CatalogItemSchema, { itemId, title: itemId, categories, available });

/** The incremental index must always equal one built from scratch over the same model and catalog. */
function expectSameAsFresh(model: RecommenderModel, tenant: TenantState): void {
  const kept = servingIndex(model, tenant);
  const fresh = ServingIndex.build(model, tenant);
  expect(kept.rowCount).toBe(model.itemIds.length);
  expect(Array.from(kept.available.subarray(0, kept.rowCount))).toEqual(
    Array.from(fresh.available.subarray(0, fresh.rowCount)),
  );
  expect(kept.availableShare).toBeCloseTo(fresh.availableShare, 12);
  for (const category of [...CATEGORIES, 'unknown'])
    expect(Array.from(kept.inCategory(category))).toEqual(Array.from(fresh.inCategory(category)));
}

describe('ServingIndex', () => {
  it('keeps availability and category rows up to date, change by change and as the model grows', () => {
    const random = seededRandom(4);
    const model = modelOf(300);
    const state = new RecsState();
    const pick = (): string[] => CATEGORIES.filter(() => random() < 0.4);
    state.applyCatalog(
      model.itemIds.map((id) => record(id, random() > 0.1, pick())),
      't',
    );
    const tenant = state.tenant('t');
    expectSameAsFresh(model, tenant);
    for (let round = 0; round < 30; round++) {
      const batch = Array.from({ length: 1 + Math.floor(random() * 20) }, () =>
        record(`i${Math.floor(random() * (model.itemIds.length + 5))}`, random() > 0.3, pick()),
      );
      state.applyCatalog(batch, 't');
      // Items the model does not have yet arrive as scoring's catalog listener adds them.
      model.addItems(
        batch
          .filter((r) => !model.hasItem(r.itemId))
          .map((r) => ({ item: r.itemId, text: '', categories: r.categories })),
      );
      expectSameAsFresh(model, tenant);
    }
    const index = servingIndex(model, tenant);
    for (let row = 0; row < index.rowCount; row++) {
      const entry = tenant.catalog.get(model.itemIds[row] as string);
      expect(index.available[row]).toBe(entry?.available === false ? 0 : 1);
    }
  });

  it('rebuilds when it has fallen further behind than the changes kept', () => {
    const model = modelOf(50);
    const state = new RecsState();
    state.applyCatalog(
      model.itemIds.map((id) => record(id, true, ['books'])),
      't',
    );
    const tenant = state.tenant('t');
    const index = servingIndex(model, tenant);
    expect(index.inCategory('books')).toHaveLength(50);
    // 100,000 changes are kept; past that the index starts again from the catalog.
    for (let n = 0; n < 100_001; n++) tenant.recordChange('i3');
    state.applyCatalog([record('i7', false, ['books'])], 't');
    expect(tenant.changesSince(0)).toBeUndefined();
    expectSameAsFresh(model, tenant);
    expect(servingIndex(model, tenant)).toBe(index);
    expect(Array.from(index.inCategory('books'))).not.toContain(7);
  });
});
