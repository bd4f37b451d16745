import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@mercato/synthetic';
import { selectBackend, type TF } from './backend';
import type { Interaction } from './recommender';
import { EaseModel, spdInverse } from './recommender-ease';

/** EASE straight from its definition, in float64: B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹. */
function reference(x: number[][], lambda: number): number[][] {
  const m = x.length;
  const n = (x[0] as number[]).length;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? lambda : 0;
      for (let u = 0; u < m; u++) s += (x[u]?.[i] as number) * (x[u]?.[j] as number);
      g[i * n + j] = s;
    }
  const p = spdInverse(g, n);
  const b = (i: number, j: number): number =>
    i === j ? 0 : -(p[i * n + j] as number) / (p[j * n + j] as number);
  return x.map((row) => Array.from({ length: n }, (_, j) => row.reduce((s, v, i) => s + v * b(i, j), 0)));
}

function randomInteractions(
  users: number,
  items: number,
  seed: number,
): { rows: Interaction[]; x: number[][] } {
  const random = seededRandom(seed);
  const x = Array.from({ length: users }, () =>
    Array.from({ length: items }, () => (random() < 0.4 ? 1 : 0)),
  );
  // Every user and item appears at least once, so the model's id maps are in input order.
  for (let u = 0; u < users; u++) (x[u] as number[])[u % items] = 1;
  for (let i = 0; i < items; i++) (x[i % users] as number[])[i] = 1;
  const rows: Interaction[] = [];
  for (let u = 0; u < users; u++)
    for (let i = 0; i < items; i++)
      if (x[u]?.[i]) rows.push({ user: `u${u}`, item: `i${i}`, value: 1, timestamp: u * 100 + i });
  return { rows, x };
}

describe('spdInverse', () => {
  it('inverts a symmetric positive definite matrix', () => {
    const random = seededRandom(3);
    const n = 30;
    const m = Array.from({ length: n * n }, () => random() - 0.5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = i === j ? 1 : 0;
        for (let k = 0; k < n; k++) s += (m[i * n + k] as number) * (m[j * n + k] as number);
        a[i * n + j] = s;
      }
    const inv = spdInverse(a, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += (a[i * n + k] as number) * (inv[k * n + j] as number);
        expect(s).toBeCloseTo(i === j ? 1 : 0, 8);
      }
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => spdInverse(Float64Array.of(1, 2, 2, 1), 2)).toThrow(/not positive definite/);
  });
});

describe('EaseModel', () => {
  let tf: TF;
  beforeAll(async () => {
    ({ tf } = await selectBackend('auto'));
  });

  // Fewer users than items inverts on the users' side (Woodbury), more users on the items' side.
  for (const [users, items] of [
    [6, 15],
    [15, 6],
  ] as const)
    it(`matches the definition with ${users} users and ${items} items`, () => {
      const { rows, x } = randomInteractions(users, items, users * 7 + items);
      const model = EaseModel.fit(tf, rows, 3);
      const expected = reference(x, 3);
      const ids = Array.from({ length: items }, (_, i) => `i${i}`);
      for (let u = 0; u < users; u++) {
        const scores = model.scoreItems(`u${u}`, ids);
        ids.forEach((_, i) => expect(scores[i]).toBeCloseTo(expected[u]?.[i] as number, 4));
      }
    });

  it('recommends what co-occurs with a user’s items, never from the item itself, excluding what is asked', () => {
    const rows: Interaction[] = [];
    // Whoever has a has b; c goes with d.
    for (let u = 0; u < 20; u++) {
      rows.push({ user: `u${u}`, item: u % 2 ? 'a' : 'c', value: 1, timestamp: 1 });
      rows.push({ user: `u${u}`, item: u % 2 ? 'b' : 'd', value: 1, timestamp: 2 });
    }
    rows.push({ user: 'solo', item: 'a', value: 1, timestamp: 3 });
    const model = EaseModel.fit(tf, rows, 1);
    const [a, b, c] = model.scoreItems('solo', ['a', 'b', 'c']);
    expect(a).toBe(0);
    expect(b).toBeGreaterThan(0.5);
    expect(c).toBeLessThanOrEqual(0);
    expect(model.topK('solo', 1, new Set(['a']))).toEqual(['b']);
    expect(model.scoreItems('nobody', ['a'])[0]).toBe(0);
    expect(model.topK('nobody', 3, new Set())).toEqual([]);
  });

  it('refuses a non-positive lambda', () => {
    expect(() => EaseModel.fit(tf, [{ user: 'u', item: 'i', value: 1, timestamp: 0 }], 0)).toThrow(/lambda/);
  });
});
