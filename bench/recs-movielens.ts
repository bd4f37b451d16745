// Quality of the served recommendations API on MovieLens latest-small (GroupLens; F. Maxwell Harper
// and Joseph A. Konstan, 2015, https://doi.org/10.1145/2827872), time-ordered leave-last-out: each
// user's latest rating is held out, the implicit recommender is trained on everything else, and the
// training history is fed to scoring as the user's features (the 50 latest items as recent items,
// every training item as purchased, so none comes back, as in the usual protocol). Then each user's
// held-out movie is looked for in GET /v1/users/{id}/recommendations?k=10 — a FULL ranking over all
// ~9.7k movies, not 99 sampled negatives, so the figures are lower than bench/recommender.ts's sampled
// ones. Beside it, on the same protocol: the popularity baseline (most-rated movies the user has not
// rated) and the same model ranked offline with its learned user vectors only (what the API adds is
// the blend with the recent items).
// Usage: node dist/bench/recs-movielens.js [--data ../shared/data/movielens-latest-small] [--json]
import {
  hitAtK,
  leaveLastOut,
  ndcgAtK,
  popularity,
  popularityRanking,
  popularityTopK,
  readMovieLensItems,
  readMovieLensRatings,
  selectBackend,
  type Interaction,
  recommenderToArtifact,
  trainRecommender,
} from '@mercato/ml';
import { withLocalInfra } from '@mercato/dev-stack';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchTenant, pseudonymOf, startRecsStack, type StackUser } from './recs-stack';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(__dirname, '../../../shared/data/movielens-latest-small') },
    recent: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
  },
});
const log = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const K = 10;

interface Row {
  ranker: string;
  hr10: number;
  ndcg10: number;
  users: number;
}

function score(lists: Map<string, string[]>, heldOut: Map<string, string>, ranker: string): Row {
  let hits = 0;
  let ndcg = 0;
  for (const [user, item] of heldOut) {
    const list = lists.get(user) ?? [];
    hits += hitAtK(list, item, K);
    ndcg += ndcgAtK(list, item, K);
  }
  return { ranker, hr10: hits / heldOut.size, ndcg10: ndcg / heldOut.size, users: heldOut.size };
}

async function main(): Promise<void> {
  const tenant = benchTenant();
  const rawUser = (u: string): string => `ml-${u}`;
  const ratings = readMovieLensRatings(join(values.data, 'ratings.csv'));
  const movies = readMovieLensItems(join(values.data, 'movies.csv'));
  const pseudo = new Map<string, string>();
  for (const r of ratings) if (!pseudo.has(r.user)) pseudo.set(r.user, pseudonymOf(tenant, rawUser(r.user)));
  const interactions: Interaction[] = ratings.map((r) => ({
    user: pseudo.get(r.user) as string,
    item: r.item,
    value: r.rating,
    timestamp: r.timestamp,
  }));
  const { train, test } = leaveLastOut(interactions);
  const heldOut = new Map(test.map((t) => [t.user, t.item]));
  log(`${ratings.length} ratings, ${pseudo.size} users, ${movies.length} movies; ${heldOut.size} held out`);

  const { tf, name: backend } = await selectBackend('auto');
  const started = performance.now();
  const model = await trainRecommender(
    tf,
    {
      interactions: train,
      items: movies.map((m) => ({ item: m.item, text: m.title, categories: m.genres })),
    },
    { objective: 'implicit' },
  );
  log(`trained (implicit, defaults) in ${((performance.now() - started) / 1000).toFixed(1)} s on ${backend}`);
  const files = (
    await recommenderToArtifact(tf, model, { backend, metrics: {}, createdAt: new Date().toISOString() })
  ).files;

  const history = new Map<string, string[]>();
  for (const r of [...train].sort((a, b) => a.timestamp - b.timestamp)) {
    const list = history.get(r.user) ?? [];
    list.push(r.item);
    history.set(r.user, list);
  }
  const users: StackUser[] = [...history].map(([userId, items]) => ({
    userId,
    recent: [...new Set([...items].reverse())].slice(0, Number(values.recent)),
    purchased: [...new Set(items)],
  }));

  const rows: Row[] = [];
  const counts = popularity(train);
  const ranking = popularityRanking(counts);
  const popLists = new Map(
    [...history].map(([u, items]) => [u, popularityTopK(ranking, K, new Set(items))] as [string, string[]]),
  );
  rows.push(score(popLists, heldOut, 'popularity (most rated, unseen)'));
  const offline = new Map(
    [...history].map(
      ([u, items]) =>
        [u, model.topK(u, K, { exclude: new Set(items) }).map((s) => s.item)] as [string, string[]],
    ),
  );
  rows.push(score(offline, heldOut, 'model offline (learned vectors)'));

  const stack = await startRecsStack({
    tenant,
    files,
    items: movies.map((m) => ({
      itemId: m.item,
      title: m.title,
      description: '',
      categories: m.genres,
      available: true,
    })),
    users,
    log,
  });
  try {
    const served = new Map<string, string[]>();
    const reasons = new Map<string, number>();
    const byPseudo = new Map([...pseudo].map(([raw, p]) => [p, raw]));
    for (const user of heldOut.keys()) {
      const raw = rawUser(byPseudo.get(user) as string);
      const res = await fetch(`${stack.scoringUrl}/v1/users/${raw}/recommendations?k=${K}`);
      if (!res.ok) throw new Error(`GET recommendations for ${raw}: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { items: { itemId: string; reason: string }[] };
      served.set(
        user,
        body.items.map((i) => i.itemId),
      );
      for (const i of body.items) reasons.set(i.reason, (reasons.get(i.reason) ?? 0) + 1);
    }
    rows.push(score(served, heldOut, 'served API (HTTP)'));
    const report = {
      protocol: 'time-ordered leave-last-out, full ranking over all movies',
      k: K,
      rows,
      reasons: Object.fromEntries(reasons),
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      process.stdout.write(
        [
          `MovieLens latest-small, ${report.protocol}, ${heldOut.size} users`,
          // Full ranking over every movie, not the 99 sampled negatives of `mercato eval`: the labels say so.
          `${'ranker'.padEnd(34)} ${'HR@10 full'.padStart(10)} ${'NDCG@10 full'.padStart(12)}`,
          ...rows.map(
            (r) =>
              `${r.ranker.padEnd(34)} ${r.hr10.toFixed(4).padStart(10)} ${r.ndcg10.toFixed(4).padStart(12)}`,
          ),
          `served reasons: ${[...reasons].map(([r, n]) => `${r} ${n}`).join(', ')}`,
          '',
        ].join('\n'),
      );
    }
  } finally {
    await stack.stop();
  }
}

withLocalInfra(log, main).catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
