import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type TF } from './backend';
import { seededRandom } from '@mercato/synthetic';
import {
  IndexBuildError,
  RecommenderModel,
  itemTokens,
  type Interaction,
  type RecommenderItem,
} from './recommender';
import { trainRecommender } from './recommender-training';
import { loadRecommender, recommenderToArtifact } from './recommender-artifact';
import {
  evaluateRanking,
  evaluateRatings,
  globalMeanBaseline,
  leaveLastOut,
  popularity,
  randomSplit,
  rankingCases,
} from './recommender-eval';

// A small world with clear tastes: 5 genres × 40 movies whose titles share genre words, popularity
// skewed within each genre, and 150 users who each love one genre and rate it high, the rest low.
const GENRES = ['action', 'comedy', 'drama', 'horror', 'scifi'] as const;
const WORDS: Record<(typeof GENRES)[number], string[]> = {
  action: ['mission', 'strike', 'fury', 'chase', 'agent', 'blast'],
  comedy: ['wedding', 'party', 'crazy', 'buddies', 'vacation', 'laugh'],
  drama: ['letters', 'river', 'silence', 'mother', 'winter', 'promise'],
  horror: ['haunting', 'blood', 'curse', 'nightmare', 'grave', 'shadows'],
  scifi: ['galaxy', 'android', 'planet', 'quantum', 'orbit', 'star'],
};
const FILLER = ['the', 'night', 'return', 'last', 'city', 'story', 'of', 'man'];

function world(seed = 1): {
  items: RecommenderItem[];
  interactions: Interaction[];
  taste: Map<string, string>;
} {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const items: RecommenderItem[] = [];
  const byGenre = new Map<string, { item: string; weight: number }[]>();
  GENRES.forEach((genre, g) => {
    const list: { item: string; weight: number }[] = [];
    for (let r = 0; r < 40; r++) {
      const item = `m${g * 40 + r}`;
      items.push({
        item,
        text: `${pick(FILLER)} ${pick(WORDS[genre])} ${pick(FILLER)} ${pick(WORDS[genre])}`,
        categories: [genre],
      });
      list.push({ item, weight: 1 / (r + 1) ** 0.7 });
    }
    byGenre.set(genre, list);
  });
  const draw = (genre: string): string => {
    const list = byGenre.get(genre) ?? [];
    const total = list.reduce((s, x) => s + x.weight, 0);
    let r = rand() * total;
    for (const x of list) if ((r -= x.weight) <= 0) return x.item;
    return (list[list.length - 1] as { item: string }).item;
  };
  const interactions: Interaction[] = [];
  const taste = new Map<string, string>();
  for (let u = 0; u < 150; u++) {
    const user = `u${u}`;
    const favourite = GENRES[u % GENRES.length] as string;
    taste.set(user, favourite);
    const had = new Set<string>();
    for (let t = 0; had.size < 30 && t < 500; t++) {
      const loved = rand() < 0.8;
      const genre = loved ? favourite : pick(GENRES.filter((g) => g !== favourite));
      const item = draw(genre);
      if (had.has(item)) continue;
      had.add(item);
      const value = Math.round((loved ? 4.2 + rand() * 0.8 : 1 + rand() * 1.5) * 2) / 2;
      interactions.push({ user, item, value, timestamp: 1_000 * u + had.size });
    }
  }
  return { items, interactions, taste };
}

// In the catalogue, never interacted with: it must be scored from its text alone.
const SHELF_ONLY: RecommenderItem = { item: 'shelf-only', text: 'Quantum Orbit', categories: ['scifi'] };

const SMALL = { dim: 16, batchSize: 256, learningRate: 0.01 } as const;

describe('recommender evaluation helpers', () => {
  const rows: Interaction[] = [
    { user: 'a', item: 'x', value: 1, timestamp: 3 },
    { user: 'a', item: 'y', value: 1, timestamp: 9 },
    { user: 'a', item: 'z', value: 1, timestamp: 5 },
    { user: 'b', item: 'x', value: 1, timestamp: 1 },
  ];

  it('holds out each user’s most recent interaction, and keeps single-interaction users in training', () => {
    const { train, test } = leaveLastOut(rows);
    expect(test).toEqual([rows[1]]);
    expect(train).toHaveLength(3);
  });

  it('samples negatives among items the user never touched, with the held-out item among the candidates', () => {
    const catalogue = Array.from({ length: 200 }, (_, i) => `i${i}`).concat(['x', 'y', 'z']);
    const [c] = rankingCases(
      rows.slice(0, 1).concat(rows.slice(2)),
      [rows[1] as Interaction],
      catalogue,
      99,
      7,
    );
    expect(c?.candidates).toHaveLength(100);
    expect(new Set(c?.candidates).size).toBe(100);
    expect(c?.candidates).toContain('y');
    expect(c?.candidates).not.toContain('x');
    expect(c?.candidates).not.toContain('z');
    // Seeded: the same inputs give the same cases.
    expect(
      rankingCases(rows.slice(0, 1).concat(rows.slice(2)), [rows[1] as Interaction], catalogue, 99, 7)[0],
    ).toEqual(c);
  });

  it('ranks by score with HR@K and NDCG@K', () => {
    const report = evaluateRanking(
      [{ user: 'a', heldOut: 'y', candidates: ['p', 'y', 'q'] }],
      () => [0.5, 0.9, 0.1],
      2,
    );
    expect(report).toMatchObject({ hitRate: 1, ndcg: 1, users: 1 });
    const second = evaluateRanking(
      [{ user: 'a', heldOut: 'y', candidates: ['p', 'y', 'q'] }],
      () => [0.95, 0.9, 0.1],
      2,
    );
    expect(second.ndcg).toBeCloseTo(1 / Math.log2(3));
  });

  it('turns an item’s categories and title words into tokens, categories first', () => {
    expect(itemTokens({ text: 'Toy Story (1995)', categories: ['Animation', 'Comedy'] })).toEqual([
      'cat:animation',
      'cat:comedy',
      'toy',
      'story',
    ]);
  });
});

describe('RecommenderModel on a synthetic world (native backend)', () => {
  let tf: TF;
  const { items, interactions, taste } = world();
  let implicit: RecommenderModel;
  let implicitHeld: { train: Interaction[]; test: Interaction[] };

  beforeAll(async () => {
    ({ tf } = await selectBackend('auto'));
    implicitHeld = leaveLastOut(interactions);
    implicit = await trainRecommender(
      tf,
      { interactions: implicitHeld.train, items: [...items, SHELF_ONLY] },
      { ...SMALL, objective: 'implicit', epochs: 15 },
    );
  });

  it('learns implicit feedback: HR@10 against 99 sampled negatives clearly beats popularity', () => {
    const catalogue = items.map((i) => i.item);
    const cases = rankingCases(implicitHeld.train, implicitHeld.test, catalogue, 99, 3);
    expect(cases).toHaveLength(150);
    const counts = popularity(implicitHeld.train);
    const pop = evaluateRanking(cases, (c) => c.candidates.map((i) => counts.get(i) ?? 0));
    const model = evaluateRanking(cases, (c) => implicit.scoreItems(c.user, c.candidates));
    expect(model.hitRate).toBeGreaterThan(pop.hitRate + 0.2);
    expect(model.ndcg).toBeGreaterThan(pop.ndcg + 0.1);
  });

  it('learns explicit ratings: RMSE on a random 80/20 split clearly beats the global mean', async () => {
    const { train, test } = randomSplit(interactions, 0.2, 5);
    const model = await trainRecommender(
      tf,
      { interactions: train, items },
      { ...SMALL, objective: 'explicit', epochs: 20, l2: 0.05 },
    );
    const baseline = globalMeanBaseline(train, test);
    const report = evaluateRatings(test, model.predict(test));
    expect(report.rmse).toBeLessThan(0.7 * baseline.rmse);
    for (const p of model.predict(test)) expect(p).toBeGreaterThanOrEqual(1);
  });

  it('scores a cold item (text and category only) higher for users whose taste matches', () => {
    expect(implicit.hasItem('brand-new')).toBe(false);
    const cold = { text: 'Curse of the Haunting', categories: ['horror'] };
    const users = [...taste.keys()];
    const scores = implicit.scoreItems.bind(implicit);
    const fans = users.filter((u) => taste.get(u) === 'horror').map((u) => scores(u, [cold])[0] as number);
    const others = users.filter((u) => taste.get(u) !== 'horror').map((u) => scores(u, [cold])[0] as number);
    const avg = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(avg(fans)).toBeGreaterThan(avg(others) + 0.5);
    // Most horror fans rank it above most others.
    const threshold = [...others].sort((a, b) => a - b)[Math.floor(others.length * 0.9)] as number;
    expect(fans.filter((s) => s > threshold).length).toBeGreaterThan(fans.length * 0.7);
    // A catalogue item nobody interacted with during training is represented by its text alone.
    expect(implicit.itemVector('shelf-only')).toEqual(implicit.itemVector(SHELF_ONLY));
    // Added to the catalogue, it can be recommended at once.
    implicit.addItems([{ item: 'brand-new', ...cold }]);
    expect(Array.from(implicit.itemVector('brand-new'))).toEqual(Array.from(implicit.itemVector(cold)));
  });

  it('folds in a user unseen in training from a few recent items', () => {
    const comedies = items
      .filter((i) => i.categories[0] === 'comedy')
      .slice(0, 5)
      .map((i) => i.item);
    expect(implicit.hasUser('newcomer')).toBe(false);
    const vector = implicit.userVectorFromItems(comedies);
    const top = implicit.topK(vector, 10, { exclude: new Set(comedies) });
    const genreOf = new Map(items.map((i) => [i.item, i.categories[0]]));
    expect(top.filter((s) => genreOf.get(s.item) === 'comedy').length).toBeGreaterThanOrEqual(8);
    expect(top.some((s) => comedies.includes(s.item))).toBe(false);
  });

  it('returns the K best items, best first, honouring exclusions and filters', () => {
    const scores = implicit.scoreAll('u3');
    const ids = implicit.itemIds;
    const exclude = new Set(ids.slice(0, 50));
    const filter = (item: string): boolean => Number(item.slice(1)) % 2 === 0;
    const top = implicit.topK('u3', 7, { exclude, filter });
    const expected = ids
      .map((item, i) => ({ item, score: scores[i] as number }))
      .filter((s) => !exclude.has(s.item) && filter(s.item))
      .sort((a, b) => b.score - a.score)
      .slice(0, 7);
    expect(top).toEqual(expected);
    // An unknown user gets the bias-only (popularity-like) ranking rather than an error.
    expect(implicit.topK('nobody', 3)).toHaveLength(3);
    expect(implicit.topK('u3', 0)).toEqual([]);
  });

  it('takes the rules as a row mask or a candidate list with the same result as the filter', () => {
    const ids = implicit.itemIds;
    const exclude = new Set(ids.slice(0, 50));
    const filter = (item: string): boolean => Number(item.slice(1)) % 3 === 0;
    const expected = implicit.topK('u5', 9, { exclude, filter });
    const allowed = Uint8Array.from(ids, (item) => (filter(item) ? 1 : 0));
    expect(implicit.topK('u5', 9, { exclude, allowed })).toEqual(expected);
    const rows = Int32Array.from(ids.flatMap((item, i) => (filter(item) ? [i] : [])));
    // Listed rows are scored one by one (another summation order: the same scores to float precision).
    const same = (actual: { item: string; score: number }[]): void => {
      expect(actual.map((s) => s.item)).toEqual(expected.map((s) => s.item));
      actual.forEach((s, i) => expect(s.score).toBeCloseTo(expected[i]?.score as number, 5));
    };
    same(implicit.topK('u5', 9, { exclude, rows }));
    // Rows past the catalogue (an index built for a larger one) are skipped, not read.
    same(implicit.topK('u5', 9, { exclude, rows: Int32Array.of(...rows, ids.length + 5) }));
    // Fewer candidates than K: all of them, best first.
    const few = implicit.topK('u5', 9, { rows: rows.slice(0, 4) });
    expect(few.map((s) => s.item).sort()).toEqual([...rows.slice(0, 4)].map((i) => ids[i]).sort());
  });

  it('round-trips through an artifact with identical scores', async () => {
    const artifact = await recommenderToArtifact(tf, implicit, {
      backend: 'tensorflow',
      metrics: { hr_at_10: 0.9 },
      createdAt: new Date(0).toISOString(),
    });
    expect(artifact.files.map((f) => f.path).sort()).toEqual(['manifest.json', 'model.json', 'weights.bin']);
    expect(artifact.manifest.kind).toBe('recommender');
    const restored = await loadRecommender(tf, artifact);
    for (const user of ['u0', 'u1', 'u77']) expect(restored.scoreAll(user)).toEqual(implicit.scoreAll(user));
    const cold = { text: 'galaxy android', categories: ['scifi'] };
    expect(restored.itemVector(cold)).toEqual(implicit.itemVector(cold));
    expect(restored.topK('u9', 10)).toEqual(implicit.topK('u9', 10));
    const e = restored.embeddings();
    expect(e.itemVectors).toHaveLength(e.items.length * e.dim);
    expect(e.items).toContain('brand-new');
  });

  it('is deterministic for a seed', async () => {
    const small = interactions.slice(0, 1500);
    const hp = { ...SMALL, objective: 'implicit' as const, epochs: 2, seed: 11 };
    const a = await trainRecommender(tf, { interactions: small, items }, hp);
    const b = await trainRecommender(tf, { interactions: small, items }, hp);
    expect(a.scoreAll('u1')).toEqual(b.scoreAll('u1'));
    const c = await trainRecommender(tf, { interactions: small, items }, { ...hp, seed: 12 });
    expect(c.scoreAll('u1')).not.toEqual(a.scoreAll('u1'));
  });
  it('trains on the pure-JS backend too (embedding gradients as scatter-adds), to the same result', async () => {
    const small = interactions.slice(0, 1500);
    const hp = { ...SMALL, objective: 'explicit' as const, epochs: 3, seed: 5 };
    const native = await trainRecommender(tf, { interactions: small, items }, hp);
    const previous = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      const losses: number[] = [];
      const js = await trainRecommender(tf, { interactions: small, items }, hp, (p) => losses.push(p.loss));
      expect(losses[2]).toBeLessThan(losses[0] as number);
      const a = native.scoreAll('u2');
      const b = js.scoreAll('u2');
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i] as number, 3);
    } finally {
      await tf.setBackend(previous);
    }
  });
});

describe('the sequential two-tower model', () => {
  let tf: TF;
  const { items, interactions, taste } = world(2);
  let model: RecommenderModel;
  let held: { train: Interaction[]; test: Interaction[] };

  beforeAll(async () => {
    ({ tf } = await selectBackend('auto'));
    held = leaveLastOut(interactions);
    model = await trainRecommender(
      tf,
      { interactions: held.train, items: [...items, SHELF_ONLY] },
      { ...SMALL, objective: 'sequential', epochs: 8, historyLength: 10, negatives: 64 },
    );
  });

  it('learns the next item: HR@10 against 99 sampled negatives clearly beats popularity', () => {
    const cases = rankingCases(
      held.train,
      held.test,
      items.map((i) => i.item),
      99,
      3,
    );
    const counts = popularity(held.train);
    const pop = evaluateRanking(cases, (c) => c.candidates.map((i) => counts.get(i) ?? 0));
    const seq = evaluateRanking(cases, (c) => model.scoreItems(c.user, c.candidates));
    expect(seq.hitRate).toBeGreaterThan(pop.hitRate + 0.2);
  });

  it('makes a user of their latest items, weighted by position', () => {
    expect(model.readsHistory).toBe(true);
    expect(model.historyLength).toBe(10);
    const weights = model.state().positionWeights as Float32Array;
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // A training user's vector is the tower over their latest training items, most recent first.
    const latest = held.train
      .filter((r) => r.user === 'u4')
      .sort((a, b) => b.timestamp - a.timestamp)
      .slice(0, 10)
      .map((r) => r.item);
    const tower = model.userVectorFromItems(latest);
    (model.userVector('u4') as Float32Array).forEach((v, j) => expect(v).toBeCloseTo(tower[j] as number, 5));
    // Order matters: the same items the other way round make another user.
    expect(Array.from(model.userVectorFromItems([...latest].reverse()))).not.toEqual(Array.from(tower));
    // Someone unseen in training whose latest items are comedies is offered comedies.
    const comedies = items.filter((i) => i.categories[0] === 'comedy').slice(0, 6);
    const top = model.topK(model.userVectorFromItems(comedies.map((i) => i.item)), 10, {
      exclude: new Set(comedies.map((i) => i.item)),
    });
    const genreOf = new Map(items.map((i) => [i.item, i.categories[0]]));
    expect(top.filter((r) => genreOf.get(r.item) === 'comedy').length).toBeGreaterThanOrEqual(6);
    expect(taste.size).toBe(150);
  });

  it('round-trips through an artifact with its position weights', async () => {
    const artifact = await recommenderToArtifact(tf, model, {
      backend: 'tensorflow',
      metrics: {},
      createdAt: new Date(0).toISOString(),
    });
    const restored = await loadRecommender(tf, artifact);
    expect(restored.hp.objective).toBe('sequential');
    expect(restored.state().positionWeights).toEqual(model.state().positionWeights);
    const history = ['m3', 'm45', 'm90'];
    expect(restored.userVectorFromItems(history)).toEqual(model.userVectorFromItems(history));
    expect(restored.topK('u7', 10)).toEqual(model.topK('u7', 10));
  });
});

describe('top-K through the index', () => {
  let tf: TF;
  const { items, interactions } = world(3);
  let model: RecommenderModel;

  beforeAll(async () => {
    ({ tf } = await selectBackend('auto'));
    model = await trainRecommender(
      tf,
      { interactions, items },
      { ...SMALL, objective: 'implicit', epochs: 4 },
    );
    // A larger catalogue: 3,000 items that arrived after training, scored from their text.
    model.addItems(
      Array.from({ length: 3_000 }, (_, i) => ({
        item: `new-${i}`,
        text: `${WORDS[GENRES[i % 5] as keyof typeof WORDS][i % 6]} ${FILLER[i % 8]} ${i}`,
        categories: [GENRES[i % 5] as string],
      })),
    );
  });

  it('keeps the exhaustive scan below exactBelow items, and builds an index above', () => {
    expect(model.buildIndex({ exactBelow: 10_000 })).toMatchObject({ kind: 'exact', indexBytes: 0 });
    expect(model.retrievalRecall(['u1', 'u2'], 10).recall).toBe(1);
    const info = model.buildIndex({ exactBelow: 1_000, probe: 24 });
    expect(info).toMatchObject({ kind: 'ivf', items: 3_200, lists: 57, probe: 24 });
    expect(info.probeChoice).toMatchObject({ how: 'set', tried: 1 });
    expect(info.indexBytes).toBeGreaterThan(0);
    expect(info.matrixBytes).toBeGreaterThanOrEqual(3_200 * 16 * 4);
  });

  it('chooses the smallest probe whose recall on the tuning queries reaches the target, and keeps a given one', () => {
    const steps = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
    const info = model.buildIndex({ exactBelow: 0 });
    const choice = info.probeChoice;
    expect(choice).toMatchObject({ how: 'measured', targetRecall: 0.98 });
    expect(choice?.queries).toBeGreaterThan(64);
    expect(choice?.recall).toBeGreaterThanOrEqual(0.98);
    expect(choice?.subsetRecall).toBeGreaterThanOrEqual(0.98);
    const step = steps.indexOf(info.probe as number);
    expect(step).toBeGreaterThan(0);
    // One step fewer cells misses the target on the same (seeded) queries.
    const below = model.buildIndex({ exactBelow: 0, probe: steps[step - 1] });
    expect(below).toMatchObject({ probe: steps[step - 1], probeChoice: { how: 'set', subsetWiden: 4 } });
    expect(below.probeChoice?.recall).toBeLessThan(0.98);
    // A lower target reads fewer cells; the caller's own queries are used when given.
    const lower = model.buildIndex({ exactBelow: 0, targetRecall: 0.5 });
    expect(lower.probe).toBeLessThan(info.probe as number);
    const users = model.userIds.slice(0, 20);
    const own = model.buildIndex({ exactBelow: 0 }, { queries: users });
    expect(own.probeChoice?.queries).toBe(20);
    expect(model.retrievalRecall(users, 10).recall).toBeGreaterThanOrEqual(0.98);
    // In a category spread over every cell (other than the tuning's subsets), at the reach chosen for them.
    const rows = Int32Array.from(model.itemIds.flatMap((_, row) => (row % 7 === 3 ? [row] : [])));
    expect(model.retrievalRecall(model.userIds.slice(20, 60), 10, { rows }).recall).toBeGreaterThanOrEqual(
      0.95,
    );
    expect(() => model.buildIndex({ exactBelow: 0, targetRecall: 0 })).toThrow(IndexBuildError);
  });

  it('gives the exhaustive answer when every cell is read, filters included', () => {
    model.buildIndex({ exactBelow: 0, lists: 20, probe: 20 });
    const exclude = new Set(['m1', 'm2', 'new-7']);
    const allowed = Uint8Array.from(model.itemIds, (item) => (item.endsWith('3') ? 0 : 1));
    const rows = Int32Array.from(
      model.itemIds.flatMap((item, row) => (item.startsWith('new-') && row % 2 === 0 ? [row] : [])),
    );
    for (const options of [{ exclude }, { exclude, allowed }, { exclude, rows }, { allowed, rows }]) {
      for (const user of ['u0', 'u33', 'nobody']) {
        const exact = model.topK(user, 10, { ...options, exact: true });
        const served = model.topK(user, 10, options);
        expect(served.map((r) => r.item)).toEqual(exact.map((r) => r.item));
        served.forEach((r, i) => expect(r.score).toBeCloseTo(exact[i]?.score as number, 4));
      }
    }
  });

  it('recalls the exhaustive top 10 at the default settings, and serves items added after the build', () => {
    model.buildIndex({ exactBelow: 0 });
    const users = model.userIds.slice(0, 40);
    const { recall, queries } = model.retrievalRecall(users, 10);
    expect(queries).toBe(40);
    expect(recall).toBeGreaterThanOrEqual(0.98);
    const probe = model.userVectorFromItems(['m10', 'm11']);
    model.addItems([{ item: 'fresh', text: 'brand new thing', categories: ['action'] }]);
    expect(model.retrieval().pendingItems).toBe(1);
    const exact = model.topK(probe, 3_300, { exact: true }).map((r) => r.item);
    const served = model.topK(probe, 3_300).map((r) => r.item);
    expect(served).toContain('fresh');
    expect(new Set(served)).toEqual(new Set(exact));
  });

  it('answers the zero vector (popularity) exactly through the index, read in bias order', () => {
    model.buildIndex({ exactBelow: 0, probe: 1 });
    const zero = new Float32Array(model.hp.dim);
    const allowed = Uint8Array.from(model.itemIds, (_, row) => (row % 3 === 0 ? 0 : 1));
    for (const options of [{}, { allowed, allowedShare: 2 / 3 }]) {
      const exact = model.topK(zero, 10, { ...options, exact: true });
      const served = model.topK(zero, 10, options);
      expect(served.map((r) => r.item)).toEqual(exact.map((r) => r.item));
    }
  });

  it('follows a catalogue that grows after the build: an index past exactBelow, new cells past twice the size', () => {
    const grown = new RecommenderModel(model.state());
    const more = (from: number, count: number): RecommenderItem[] =>
      Array.from({ length: count }, (_, i) => ({
        item: `later-${from + i}`,
        text: `${WORDS[GENRES[i % 5] as keyof typeof WORDS][i % 6]} ${FILLER[(i + 3) % 8]} ${from + i}`,
        categories: [GENRES[i % 5] as string],
      }));
    const base = grown.itemIds.length;
    expect(grown.buildIndex({ exactBelow: base + 500 })).toMatchObject({ kind: 'exact', items: base });
    grown.addItems(more(0, 1_000));
    const built = base + 1_000;
    expect(grown.retrieval()).toMatchObject({
      kind: 'ivf',
      items: built,
      lists: Math.round(Math.sqrt(built)),
    });
    grown.addItems(more(1_000, built - 1));
    expect(grown.retrieval()).toMatchObject({ items: 2 * built - 1, lists: Math.round(Math.sqrt(built)) });
    grown.addItems(more(built + 999, 1));
    expect(grown.retrieval()).toMatchObject({
      kind: 'ivf',
      items: 2 * built,
      lists: Math.round(Math.sqrt(2 * built)),
      pendingItems: 0,
    });
    expect(grown.retrievalRecall(grown.userIds.slice(0, 40), 10).recall).toBeGreaterThanOrEqual(0.98);
  });

  it('refuses to build an index over a vector that is not finite, naming the item', () => {
    const state = model.state();
    const broken = new RecommenderModel({
      ...state,
      tables: { ...state.tables, itemBias: state.tables.itemBias.map((b, i) => (i === 5 ? Number.NaN : b)) },
    });
    expect(() => broken.buildIndex({ exactBelow: 0 })).toThrow(IndexBuildError);
    expect(() => broken.buildIndex({ exactBelow: 0 })).toThrow(`item ${state.items[5]} has a vector or bias`);
  });
});
