import { RecommenderModel, selectBackend, trainRecommender, type Interaction } from '@mercato/ml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  categorySubsets,
  prepareRetrieval,
  RecommenderRefusedError,
  tuningQueries,
} from './recommender.loader';

const KINDS = ['kettle', 'novel', 'lamp', 'drill', 'yoga'];

let model: RecommenderModel;
beforeAll(async () => {
  const interactions: Interaction[] = [];
  for (let u = 0; u < 60; u++)
    for (let k = 0; k < 10; k++)
      interactions.push({
        user: `u${u}`,
        item: `i${(u % 5) * 40 + ((u + k * 7) % 40)}`,
        value: 1,
        timestamp: k,
      });
  const { tf } = await selectBackend('auto');
  model = await trainRecommender(
    tf,
    {
      interactions,
      items: Array.from({ length: 200 }, (_, i) => ({
        item: `i${i}`,
        text: `${KINDS[Math.floor(i / 40)]} ${i}`,
        categories: [],
      })),
    },
    { objective: 'implicit', dim: 8, epochs: 3, batchSize: 256 },
  );
  // A catalog of 4,200 items, most of them arrived after training.
  model.addItems(
    Array.from({ length: 4_000 }, (_, i) => ({
      item: `c${i}`,
      text: `${KINDS[i % 5]} plus ${i % 13}`,
      categories: [],
    })),
  );
});

const refusal = (run: () => unknown): RecommenderRefusedError => {
  try {
    run();
  } catch (err) {
    if (err instanceof RecommenderRefusedError) return err;
    throw err;
  }
  throw new Error('not refused');
};

describe('prepareRetrieval', () => {
  it('keeps the exhaustive scan for a catalog below the threshold', () => {
    expect(prepareRetrieval(model, { exactBelow: 10_000 }, 0.9, 'm v1')).toMatchObject({
      kind: 'exact',
      recall: 1,
      items: 4_200,
    });
  });

  it('builds and warms the index of a larger catalog, reporting its recall and memory', () => {
    const retrieval = prepareRetrieval(model, { exactBelow: 1_000 }, 0.9, 'm v1');
    expect(retrieval).toMatchObject({ kind: 'ivf', lists: 65, items: 4_200 });
    expect(retrieval.recall).toBeGreaterThanOrEqual(0.9);
    expect(retrieval.warmUpQueries).toBe(34);
    expect(retrieval.indexBytes).toBeGreaterThan(0);
  });

  it('refuses an index that recalls less than the minimum, saying so and what to change', () => {
    const err = refusal(() => prepareRetrieval(model, { exactBelow: 0, lists: 200, probe: 1 }, 1, 'm v2'));
    expect(err.reason).toBe('index');
    expect(err.message).toMatch(
      /^m v2: index not built: recall@10 0\.\d+ against the exhaustive scan on 34 warm-up queries is below RECS_INDEX_MIN_RECALL 1 \(200 lists, probe 1\): raise RECS_INDEX_PROBE, or set it to 0 to have it chosen$/,
    );
  });

  it("chooses the probe on queries like the traffic's: users' histories and the learned users", () => {
    const histories = [
      ['nothing-known'],
      ...Array.from({ length: 100 }, (_, h) => [`i${(h * 7) % 200}`, `c${h}`, 'not-in-the-model']),
    ];
    const queries = tuningQueries(model, histories);
    // 64 of the 100 histories with a known item, then every one of the 60 learned users.
    expect(queries).toHaveLength(124);
    expect(queries.slice(64)).toEqual(model.userIds);
    // Two categories: every third item, and the kettles.
    const catalog = model.itemIds.map((item, row) => ({
      item,
      text: item,
      categories: row % 3 === 0 ? ['Third ', 'third'] : item.startsWith('i') && row < 40 ? ['Kettles'] : [],
    }));
    const subsets = categorySubsets(model, catalog);
    expect(subsets.map((rows) => rows.length)).toEqual([1_400, 26]);
    expect(subsets[1]?.every((row, i, all) => i === 0 || row > (all[i - 1] as number))).toBe(true);
    const retrieval = prepareRetrieval(model, { exactBelow: 0 }, 0.9, 'm v4', { queries, subsets });
    expect(retrieval.probeChoice).toMatchObject({ how: 'measured', targetRecall: 0.98, queries: 124 });
    expect(retrieval.probeChoice?.recall).toBeGreaterThanOrEqual(0.98);
    expect(retrieval.probeChoice?.subsetRecall).toBeGreaterThanOrEqual(0.98);
    expect(retrieval.probe).toBeLessThan(retrieval.lists as number);
    expect(retrieval.recall).toBeGreaterThanOrEqual(0.9);
  });

  it('refuses an index over an item whose vector is not finite, naming the item', () => {
    const state = model.state();
    const broken = new RecommenderModel({
      ...state,
      tables: { ...state.tables, tokenBias: state.tables.tokenBias.map(() => Number.NaN) },
    });
    const err = refusal(() => prepareRetrieval(broken, { exactBelow: 0 }, 0.9, 'm v3'));
    expect(err.reason).toBe('index');
    expect(err.message).toMatch(
      /^m v3: index not built: cannot index \d+ items: item \S+ has a vector or bias that is not a finite number$/,
    );
  });
});
