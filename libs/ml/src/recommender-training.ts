// Training of the recommender (recommender.ts describes the model): the vocabulary of item text,
// the id maps, and the fit of the embedding and bias tables on the TF.js backend (squared error + L2
// on explicit ratings, BPR over sampled negatives on implicit feedback, next-item softmax for the
// sequential two-tower model), in large batches with scatter-add gradients. What comes out is a
// RecommenderModel that serves without TensorFlow.
import type { TF } from './backend';
import { seededRandom } from '@mercato/synthetic';
import {
  CATEGORY_PREFIX,
  PAD,
  RecommenderModel,
  encodeTokens,
  itemTokens,
  recommenderHyperparameters,
  type Interaction,
  type RecommenderData,
  type RecommenderEpoch,
  type RecommenderHyperparameters,
  type RecommenderItem,
  type RecommenderTables,
} from './recommender';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Variable = import('@tensorflow/tfjs').Variable;

function buildVocabulary(items: RecommenderItem[], minCount: number): string[] {
  const counts = new Map<string, number>();
  for (const item of items) for (const t of itemTokens(item)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const kept = [...counts]
    .filter(([t, n]) => n >= minCount || t.startsWith(CATEGORY_PREFIX))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([t]) => t);
  return [PAD, ...kept];
}

/**
 * Fits a recommender. Interactions on items missing from `items` are fine (they get an id part only);
 * catalogue items without interactions keep a zero id part and are scored from their text.
 */
export async function trainRecommender(
  tf: TF,
  data: RecommenderData,
  hyperparameters: Partial<RecommenderHyperparameters> = {},
  onEpoch: (p: RecommenderEpoch) => void = () => undefined,
): Promise<RecommenderModel> {
  const hp = recommenderHyperparameters(hyperparameters);
  const { interactions } = data;
  if (interactions.length === 0) throw new Error('recommender: no interactions to train on');
  if (hp.objective !== 'explicit' && hp.negatives < 1)
    throw new Error(`recommender: ${hp.objective} training needs negatives >= 1`);
  if (hp.objective === 'sequential' && !(hp.historyLength >= 1))
    throw new Error('recommender: sequential training needs historyLength >= 1');

  const vocab = buildVocabulary(data.items, hp.minTokenCount);
  const vocabIndex = new Map(vocab.map((t, i) => [t, i]));
  const items: string[] = [];
  const itemTokenIds: number[][] = [];
  const itemIndex = new Map<string, number>();
  for (const it of data.items) {
    if (itemIndex.has(it.item)) continue;
    itemIndex.set(it.item, items.length);
    items.push(it.item);
    itemTokenIds.push(encodeTokens(it, vocabIndex, hp.maxTokensPerItem));
  }
  const users: string[] = [];
  const userIndex = new Map<string, number>();
  const n = interactions.length;
  const uIdx = new Int32Array(n);
  const iIdx = new Int32Array(n);
  const values = new Float32Array(n);
  let sum = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < n; k++) {
    const r = interactions[k] as Interaction;
    let u = userIndex.get(r.user);
    if (u === undefined) {
      u = users.length;
      userIndex.set(r.user, u);
      users.push(r.user);
    }
    let i = itemIndex.get(r.item);
    if (i === undefined) {
      i = items.length;
      itemIndex.set(r.item, i);
      items.push(r.item);
      itemTokenIds.push([]);
    }
    uIdx[k] = u;
    iIdx[k] = i;
    values[k] = r.value;
    sum += r.value;
    lo = Math.min(lo, r.value);
    hi = Math.max(hi, r.value);
  }
  const globalMean = hp.objective === 'explicit' ? sum / n : 0;
  const sizes = { users: users.length, items: items.length, vocab: vocab.length };
  const sequences =
    hp.objective === 'sequential' ? userSequences(interactions, uIdx, iIdx, users.length) : undefined;
  const fitted = sequences
    ? await fitSequential(tf, hp, sizes, itemTokenIds, sequences, onEpoch)
    : { tables: await fitTables(tf, hp, sizes, itemTokenIds, { uIdx, iIdx, values, globalMean }, onEpoch) };
  const { tables } = fitted;
  // Items that never appeared in training kept their random initial id vectors; zero them so
  // such items are scored from their text alone, exactly as an item added after training is.
  const seen = new Uint8Array(items.length);
  for (let k = 0; k < n; k++) seen[iIdx[k] as number] = 1;
  // Likewise tokens that occur only on such items: they never got a gradient.
  const trainedTokens = new Uint8Array(vocab.length);
  for (let i = 0; i < items.length; i++) {
    if (seen[i]) {
      for (const t of itemTokenIds[i] as number[]) trainedTokens[t] = 1;
      continue;
    }
    tables.itemEmbedding.fill(0, i * hp.dim, (i + 1) * hp.dim);
    tables.itemBias[i] = 0;
  }
  for (let t = 0; t < vocab.length; t++) {
    if (trainedTokens[t]) continue;
    tables.tokenEmbedding.fill(0, t * hp.dim, (t + 1) * hp.dim);
    tables.tokenBias[t] = 0;
  }
  const model = new RecommenderModel({
    hp,
    ...('positionWeights' in fitted ? { positionWeights: fitted.positionWeights } : {}),
    users,
    items,
    vocab,
    itemTokens: itemTokenIds,
    globalMean,
    valueRange: [lo, hi],
    tables,
  });
  // A sequential model's user table is its user tower over each user's latest training items, so
  // the users it was trained on are scored (and evaluated) from the history it saw.
  if (sequences) {
    const d = hp.dim;
    for (let u = 0; u < users.length; u++) {
      const from = sequences.start[u] as number;
      const to = sequences.start[u + 1] as number;
      const latest: string[] = [];
      for (let g = to - 1; g >= from && latest.length < hp.historyLength; g--)
        latest.push(items[sequences.items[g] as number] as string);
      tables.userEmbedding.set(model.userVectorFromItems(latest), u * d);
    }
  }
  return model;
}

/** Each user's items in time order (ties: input order), users one after another. */
interface UserSequences {
  /** Item rows; user u's are [start[u], start[u + 1]). */
  items: Int32Array;
  start: Int32Array;
}

function userSequences(
  interactions: readonly Interaction[],
  uIdx: Int32Array,
  iIdx: Int32Array,
  users: number,
): UserSequences {
  const order = Array.from({ length: interactions.length }, (_, k) => k).sort(
    (a, b) =>
      (uIdx[a] as number) - (uIdx[b] as number) ||
      (interactions[a] as Interaction).timestamp - (interactions[b] as Interaction).timestamp ||
      a - b,
  );
  const items = Int32Array.from(order, (k) => iIdx[k] as number);
  const start = new Int32Array(users + 1);
  for (const k of order) start[(uIdx[k] as number) + 1]++;
  for (let u = 0; u < users; u++) start[u + 1] = (start[u + 1] as number) + (start[u] as number);
  return { items, start };
}

/**
 * Row lookup and segment sum with scatter-add gradients. TF.js differentiates gather through
 * UnsortedSegmentSum, which the pure-JS backend runs as one full pass over the batch per table row
 * (O(rows × batch) for an embedding table: minutes per step on a 10k-item catalogue). ScatterNd
 * adds duplicate indices up in one linear pass on every backend, so these two keep the pure-JS
 * fallback usable and cost the native backend nothing.
 */
function rowOps(tf: TF): {
  gatherRows: (table: Tensor, ids: Tensor) => Tensor;
  segmentSum: (values: Tensor, ids: Tensor, segments: number) => Tensor;
} {
  type Save = (tensors: Tensor[]) => void;
  type Grad = { value: Tensor; gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor[] };
  const custom = (f: (a: Tensor, ids: Tensor, save: Save) => Grad): ((a: Tensor, ids: Tensor) => Tensor) =>
    tf.customGrad(f as unknown as Parameters<TF['customGrad']>[0]) as unknown as (
      a: Tensor,
      ids: Tensor,
    ) => Tensor;
  const gatherRows = custom((table, ids, save) => {
    save([ids]);
    return {
      value: tf.gather(table, ids),
      // The ids get no gradient; a float zero keeps the engine's bookkeeping happy.
      gradFunc: (dy, [saved]) => [
        tf.scatterND(tf.expandDims(saved as Tensor, 1), dy, table.shape),
        tf.zeros((saved as Tensor).shape),
      ],
    };
  });
  const segmentSums = new Map<number, (values: Tensor, ids: Tensor) => Tensor>();
  const segmentSum = (values: Tensor, ids: Tensor, segments: number): Tensor => {
    let op = segmentSums.get(segments);
    if (!op) {
      op = custom((v, segIds, save) => {
        save([segIds]);
        return {
          value: tf.scatterND(tf.expandDims(segIds, 1), v, [segments, ...v.shape.slice(1)]),
          gradFunc: (dy, [saved]) => [tf.gather(dy, saved as Tensor), tf.zeros((saved as Tensor).shape)],
        };
      });
      segmentSums.set(segments, op);
    }
    return op(values, ids);
  };
  return { gatherRows, segmentSum };
}

/**
 * All items' tokens as one flat list (item row, token id, weight 1/count): an item's text part is
 * then a gather and a segment sum, over the real tokens only (no padding to the longest title).
 */
function flatTokens(itemTokenIds: number[][]): { flatItem: number[]; flatTok: number[]; flatW: number[] } {
  const flatItem: number[] = [];
  const flatTok: number[] = [];
  const flatW: number[] = [];
  itemTokenIds.forEach((ids, i) => {
    for (const t of ids) {
      flatItem.push(i);
      flatTok.push(t);
      flatW.push(1 / ids.length);
    }
  });
  return { flatItem, flatTok, flatW };
}

/**
 * The trainable tables' makers: a seeded normal(0, initStddev) matrix and a zero vector, each
 * created inside tidy so the initial values are released once the variables hold them.
 */
function variableMakers(
  tf: TF,
  hp: RecommenderHyperparameters,
): { init: (shape: [number, number], seed: number) => Variable; zeros: (rows: number) => Variable } {
  return {
    init: (shape, seed) =>
      tf.tidy(() =>
        tf.variable(
          tf.initializers.randomNormal({ mean: 0, stddev: hp.initStddev, seed }).apply(shape) as Tensor,
        ),
      ),
    zeros: (rows) => tf.tidy(() => tf.variable(tf.zeros([rows]))),
  };
}

/**
 * The training loop: tf.variables and optimizer.minimize over whole batches. Per epoch the data is
 * shuffled, negatives and id-dropout masks are drawn (seeded, in typed arrays) and uploaded once;
 * each step then only slices tensors, so no per-example JavaScript runs inside the loop.
 */
async function fitTables(
  tf: TF,
  hp: RecommenderHyperparameters,
  sizes: { users: number; items: number; vocab: number },
  itemTokenIds: number[][],
  data: { uIdx: Int32Array; iIdx: Int32Array; values: Float32Array; globalMean: number },
  onEpoch: (p: RecommenderEpoch) => void,
): Promise<RecommenderTables> {
  const { dim: d, seed } = hp;
  const n = data.uIdx.length;
  const { flatItem, flatTok, flatW } = flatTokens(itemTokenIds);
  const { init, zeros } = variableMakers(tf, hp);
  const U = init([sizes.users, d], seed);
  const Q = init([sizes.items, d], seed + 1);
  const W = init([sizes.vocab, d], seed + 2);
  const bu = zeros(sizes.users);
  const bq = zeros(sizes.items);
  const bw = zeros(sizes.vocab);
  const tokItem = tf.tensor1d(Int32Array.from(flatItem), 'int32');
  const tokId = tf.tensor1d(Int32Array.from(flatTok), 'int32');
  const tokW = tf.tensor1d(Float32Array.from(flatW));
  const optimizer = tf.train.adam(hp.learningRate);
  const { gatherRows, segmentSum } = rowOps(tf);
  const explicit = hp.objective === 'explicit';
  // The user bias cancels out of BPR's score differences, so implicit training leaves it at zero.
  const trainable = explicit ? [U, Q, W, bu, bq, bw] : [U, Q, W, bq, bw];

  /**
   * The text part of every item, computed once per step: with a catalogue of this size that is
   * cheaper than gathering each batch item's tokens (a batch holds many more items than it has
   * distinct ones once negatives are counted).
   */
  const textParts = (): { vec: Tensor; bias: Tensor } => {
    if (flatTok.length === 0) return { vec: tf.zeros([sizes.items, d]), bias: tf.zeros([sizes.items]) };
    const vec = segmentSum(tf.mul(gatherRows(W, tokId), tf.expandDims(tokW, 1)), tokItem, sizes.items);
    const bias = segmentSum(tf.mul(gatherRows(bw, tokId), tokW), tokItem, sizes.items);
    return { vec, bias };
  };

  /** Item vectors and biases for a batch of item rows, the id part scaled by keep (0 = dropped). */
  const itemParts = (
    text: { vec: Tensor; bias: Tensor },
    items: Tensor,
    keep: Tensor,
  ): { vec: Tensor; bias: Tensor; reg: Tensor } => {
    const textVec = gatherRows(text.vec, items);
    const textBias = gatherRows(text.bias, items);
    const id = tf.mul(gatherRows(Q, items), tf.expandDims(keep, 1));
    const idBias = tf.mul(gatherRows(bq, items), keep);
    const reg = tf.add(
      tf.add(tf.sum(tf.square(id), 1), tf.sum(tf.square(textVec), 1)),
      tf.add(tf.square(idBias), tf.square(textBias)),
    );
    return { vec: tf.add(id, textVec), bias: tf.add(idBias, textBias), reg };
  };

  // For rejecting sampled negatives the user has in fact interacted with.
  const positives = new Set<number>();
  if (!explicit)
    for (let k = 0; k < n; k++)
      positives.add((data.uIdx[k] as number) * sizes.items + (data.iIdx[k] as number));

  const rand = seededRandom(seed + 3);
  const perm = new Int32Array(n);
  const eu = new Int32Array(n);
  const ei = new Int32Array(n);
  const ev = new Float32Array(n);
  const keepPos = new Float32Array(n);
  const neg = hp.negatives;
  const negItems = new Int32Array(explicit ? 0 : n * neg);
  const keepNeg = new Float32Array(explicit ? 0 : n * neg);
  try {
    for (let epoch = 1; epoch <= hp.epochs; epoch++) {
      const t0 = performance.now();
      for (let k = 0; k < n; k++) perm[k] = k;
      for (let k = n - 1; k > 0; k--) {
        const j = Math.floor(rand() * (k + 1));
        const t = perm[k] as number;
        perm[k] = perm[j] as number;
        perm[j] = t;
      }
      for (let k = 0; k < n; k++) {
        const p = perm[k] as number;
        eu[k] = data.uIdx[p] as number;
        ei[k] = data.iIdx[p] as number;
        ev[k] = data.values[p] as number;
        keepPos[k] = rand() < hp.idDropout ? 0 : 1;
      }
      if (!explicit) {
        for (let k = 0; k < n; k++) {
          const base = (eu[k] as number) * sizes.items;
          for (let m = 0; m < neg; m++) {
            let j = Math.floor(rand() * sizes.items);
            // A few retries: with sparse data almost every draw is a true negative already.
            for (let r = 0; r < 5 && positives.has(base + j); r++) j = Math.floor(rand() * sizes.items);
            negItems[k * neg + m] = j;
            keepNeg[k * neg + m] = rand() < hp.idDropout ? 0 : 1;
          }
        }
      }
      const epochTensors = tf.tidy(() => ({
        u: tf.tensor1d(eu, 'int32'),
        i: tf.tensor1d(ei, 'int32'),
        v: tf.tensor1d(ev),
        kp: tf.tensor1d(keepPos),
        j: tf.tensor1d(negItems, 'int32'),
        kn: tf.tensor1d(keepNeg),
      }));
      const costs: Tensor[] = [];
      for (let start = 0; start < n; start += hp.batchSize) {
        const size = Math.min(hp.batchSize, n - start);
        const cost = tf.tidy(() => {
          const users = tf.slice(epochTensors.u, start, size);
          const items = tf.slice(epochTensors.i, start, size);
          const keep = tf.slice(epochTensors.kp, start, size);
          const lossFn = (): import('@tensorflow/tfjs').Scalar => {
            const u = gatherRows(U, users);
            const text = textParts();
            const pos = itemParts(text, items, keep);
            const userReg = tf.sum(tf.square(u), 1);
            if (explicit) {
              const ub = gatherRows(bu, users);
              const pred = tf.add(
                tf.add(tf.add(ub, pos.bias), tf.sum(tf.mul(u, pos.vec), 1)),
                data.globalMean,
              );
              const err = tf.sub(pred, tf.slice(epochTensors.v, start, size));
              const reg = tf.add(tf.add(userReg, tf.square(ub)), pos.reg);
              return tf.mean(tf.add(tf.square(err), tf.mul(reg, hp.l2))) as import('@tensorflow/tfjs').Scalar;
            }
            const negs = itemParts(
              text,
              tf.slice(epochTensors.j, start * neg, size * neg),
              tf.slice(epochTensors.kn, start * neg, size * neg),
            );
            const posScore = tf.add(pos.bias, tf.sum(tf.mul(u, pos.vec), 1));
            const negVec = tf.reshape(negs.vec, [size, neg, d]);
            const negScore = tf.add(
              tf.reshape(negs.bias, [size, neg]),
              tf.sum(tf.mul(tf.expandDims(u, 1), negVec), 2),
            );
            // BPR: -log σ(s_ui − s_uj), averaged over the sampled negatives.
            const bpr = tf.mean(tf.softplus(tf.neg(tf.sub(tf.expandDims(posScore, 1), negScore))), 1);
            const reg = tf.add(tf.add(userReg, pos.reg), tf.mean(tf.reshape(negs.reg, [size, neg]), 1));
            return tf.mean(tf.add(bpr, tf.mul(reg, hp.l2))) as import('@tensorflow/tfjs').Scalar;
          };
          return tf.mul(optimizer.minimize(lossFn, true, trainable) as Tensor, size);
        });
        costs.push(cost);
      }
      const total = tf.tidy(() => tf.addN(costs).dataSync()[0] as number);
      costs.forEach((c) => c.dispose());
      Object.values(epochTensors).forEach((t) => t.dispose());
      const seconds = (performance.now() - t0) / 1000;
      onEpoch({ epoch, epochs: hp.epochs, loss: total / n, samplesPerSecond: n / seconds, seconds });
      // Yield so a long training run does not starve the event loop (health checks, Kafka heartbeats).
      await new Promise((resolve) => setImmediate(resolve));
    }
    const read = (v: Tensor): Float32Array => Float32Array.from(v.dataSync() as Float32Array);
    return {
      userEmbedding: read(U),
      userBias: read(bu),
      itemEmbedding: read(Q),
      itemBias: read(bq),
      tokenEmbedding: read(W),
      tokenBias: read(bw),
    };
  } finally {
    [U, Q, W, bu, bq, bw, tokItem, tokId, tokW].forEach((t) => t.dispose());
    optimizer.dispose();
  }
}

/**
 * The sequential two-tower model: for every position of every user's sequence but the first, the
 * user tower reads the latest historyLength items before it (each item's vector: id part + text part,
 * a learned softmax weight per position, the positions present renormalised) and the loss is the
 * softmax cross-entropy of the item that came next: over the whole catalogue when it has at most
 * `negatives` items, else over that many items drawn uniformly per batch. Each step hides the id
 * part of a share of the items (idDropout) and a share of the history items (historyDropout).
 * The user table is left to the caller (the tower over each user's latest items).
 */
async function fitSequential(
  tf: TF,
  hp: RecommenderHyperparameters,
  sizes: { users: number; items: number; vocab: number },
  itemTokenIds: number[][],
  sequences: UserSequences,
  onEpoch: (p: RecommenderEpoch) => void,
): Promise<{ tables: RecommenderTables; positionWeights: Float32Array }> {
  const { dim: d, seed, historyLength: L } = hp;
  const nItems = sizes.items;
  const pad = nItems;
  // Examples: every position with a history, as (start of its user, position).
  const exStart: number[] = [];
  const exPos: number[] = [];
  for (let u = 0; u < sizes.users; u++) {
    const from = sequences.start[u] as number;
    const to = sequences.start[u + 1] as number;
    for (let g = from + 1; g < to; g++) {
      exStart.push(from);
      exPos.push(g);
    }
  }
  const n = exPos.length;
  if (n === 0) throw new Error('recommender: sequential training needs users with at least two interactions');
  const { flatItem, flatTok, flatW } = flatTokens(itemTokenIds);
  const { init, zeros } = variableMakers(tf, hp);
  const Q = init([nItems, d], seed + 1);
  const W = init([sizes.vocab, d], seed + 2);
  const bq = zeros(nItems);
  const bw = zeros(sizes.vocab);
  const positions = zeros(L);
  const tokItem = tf.tensor1d(Int32Array.from(flatItem), 'int32');
  const tokId = tf.tensor1d(Int32Array.from(flatTok), 'int32');
  const tokW = tf.tensor1d(Float32Array.from(flatW));
  const padRow = tf.zeros([1, d]);
  const optimizer = tf.train.adam(hp.learningRate);
  const { gatherRows, segmentSum } = rowOps(tf);
  const full = nItems <= hp.negatives;
  const rand = seededRandom(seed + 3);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  try {
    for (let epoch = 1; epoch <= hp.epochs; epoch++) {
      const t0 = performance.now();
      for (let k = n - 1; k > 0; k--) {
        const j = Math.floor(rand() * (k + 1));
        const t = order[k] as number;
        order[k] = order[j] as number;
        order[j] = t;
      }
      const costs: Tensor[] = [];
      for (let startAt = 0; startAt < n; startAt += hp.batchSize) {
        const size = Math.min(hp.batchSize, n - startAt);
        const history = new Int32Array(size * L).fill(pad);
        const valid = new Float32Array(size * L);
        const targets = new Int32Array(size);
        for (let r = 0; r < size; r++) {
          const e = order[startAt + r] as number;
          const g = exPos[e] as number;
          const from = exStart[e] as number;
          targets[r] = sequences.items[g] as number;
          for (let p = 0; p < L && g - 1 - p >= from; p++) {
            if (hp.historyDropout > 0 && rand() < hp.historyDropout) continue;
            history[r * L + p] = sequences.items[g - 1 - p] as number;
            valid[r * L + p] = 1;
          }
        }
        const keep = new Float32Array(nItems);
        for (let i = 0; i < nItems; i++) keep[i] = rand() < hp.idDropout ? 0 : 1;
        const negatives = full
          ? undefined
          : Int32Array.from({ length: hp.negatives }, () => Math.floor(rand() * nItems));
        const cost = tf.tidy(() => {
          const historyT = tf.tensor1d(history, 'int32');
          const validT = tf.tensor2d(valid, [size, L]);
          const targetsT = tf.tensor1d(targets, 'int32');
          const keepT = tf.tensor1d(keep);
          const negativesT = negatives ? tf.tensor1d(negatives, 'int32') : undefined;
          const lossFn = (): import('@tensorflow/tfjs').Scalar => {
            const textVec =
              flatTok.length === 0
                ? tf.zeros([nItems, d])
                : segmentSum(tf.mul(gatherRows(W, tokId), tf.expandDims(tokW, 1)), tokItem, nItems);
            const textBias =
              flatTok.length === 0
                ? tf.zeros([nItems])
                : segmentSum(tf.mul(gatherRows(bw, tokId), tokW), tokItem, nItems);
            const vectors = tf.add(tf.mul(Q, tf.expandDims(keepT, 1)), textVec);
            const biases = tf.add(tf.mul(bq, keepT), textBias);
            // The user tower: position weights softmaxed over the positions present.
            const seen = tf.reshape(gatherRows(tf.concat([vectors, padRow], 0), historyT), [size, L, d]);
            const weights = tf.softmax(
              tf.add(tf.expandDims(positions, 0), tf.mul(tf.sub(validT, 1), 1e9)),
              1,
            );
            const user = tf.sum(tf.mul(seen, tf.expandDims(weights, 2)), 1);
            const targetVec = gatherRows(vectors, targetsT);
            const positive = tf.add(tf.sum(tf.mul(user, targetVec), 1), gatherRows(biases, targetsT));
            const logits = negativesT
              ? tf.concat(
                  [
                    tf.expandDims(positive, 1),
                    tf.add(
                      tf.matMul(user, gatherRows(vectors, negativesT), false, true),
                      tf.expandDims(gatherRows(biases, negativesT), 0),
                    ),
                  ],
                  1,
                )
              : tf.add(tf.matMul(user, vectors, false, true), tf.expandDims(biases, 0));
            const crossEntropy = tf.sub(tf.logSumExp(logits, 1), positive);
            const reg = tf.add(tf.sum(tf.square(user), 1), tf.sum(tf.square(targetVec), 1));
            return tf.mean(tf.add(crossEntropy, tf.mul(reg, hp.l2))) as import('@tensorflow/tfjs').Scalar;
          };
          return tf.mul(optimizer.minimize(lossFn, true, [Q, W, bq, bw, positions]) as Tensor, size);
        });
        costs.push(cost);
        // Yield between steps: a long epoch must not starve the event loop.
        if (costs.length % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const total = tf.tidy(() => tf.addN(costs).dataSync()[0] as number);
      costs.forEach((c) => c.dispose());
      const seconds = (performance.now() - t0) / 1000;
      onEpoch({ epoch, epochs: hp.epochs, loss: total / n, samplesPerSecond: n / seconds, seconds });
      await new Promise((resolve) => setImmediate(resolve));
    }
    const read = (v: Tensor): Float32Array => Float32Array.from(v.dataSync() as Float32Array);
    return {
      tables: {
        userEmbedding: new Float32Array(sizes.users * d),
        userBias: new Float32Array(sizes.users),
        itemEmbedding: read(Q),
        itemBias: read(bq),
        tokenEmbedding: read(W),
        tokenBias: read(bw),
      },
      positionWeights: tf.tidy(() => read(tf.softmax(positions))),
    };
  } finally {
    [Q, W, bq, bw, positions, tokItem, tokId, tokW, padRow].forEach((t) => t.dispose());
    optimizer.dispose();
  }
}
