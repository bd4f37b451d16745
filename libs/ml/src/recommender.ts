// The recommender: user and item embeddings with biases (user, item, global mean), trained either on
// explicit ratings (squared error + L2) or on implicit feedback (BPR over sampled negatives). An
// item's vector is its id embedding plus the mean embedding of its text tokens (title words and
// categories), so an item never seen in training still gets a usable vector from its text; "id
// dropout" during training teaches the text part to stand alone. Training runs on the TF.js backend
// in large batches; afterwards everything lives in plain Float32Arrays, so scoring, top-K over the
// whole catalogue, cold items and fold-in of new users need no TensorFlow at all.
// This file is the model as it serves (scoring, top-K, fold-in, adding items); training is in
// recommender-training.ts, the artifact (TF.js layers + manifest) in recommender-artifact.ts.
import { ItemMatrix } from './kernels/item-matrix';
import { tokenize } from './tokenizer';

export type RecommenderObjective = 'explicit' | 'implicit';

/** One user–item event: a rating (explicit) or a click/purchase/view (implicit; value is ignored). */
export interface Interaction {
  user: string;
  item: string;
  value: number;
  timestamp: number;
}

/** Catalogue metadata: free text (a title) and categories (genres) feed the cold-start part. */
export interface RecommenderItem {
  item: string;
  text: string;
  categories: string[];
}

export type ItemFeatures = Omit<RecommenderItem, 'item'>;

export interface RecommenderData {
  interactions: Interaction[];
  /** The catalogue; items here without interactions are scored from their text alone. */
  items: RecommenderItem[];
}

export interface RecommenderHyperparameters {
  objective: RecommenderObjective;
  dim: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 on the embeddings and biases each example touches (so frequent ids are held harder). */
  l2: number;
  /** Sampled negatives per positive (implicit only). */
  negatives: number;
  /** Probability of hiding an item's id part in a training example, so its text part learns alone. */
  idDropout: number;
  /** Text tokens kept per item (categories first, then title words). */
  maxTokensPerItem: number;
  /** A title word needs this many catalogue items to enter the vocabulary: rarer words cannot generalise. */
  minTokenCount: number;
  initStddev: number;
  seed: number;
}

const COMMON_HP = {
  maxTokensPerItem: 12,
  minTokenCount: 2,
  initStddev: 0.05,
  seed: 42,
} as const;

/**
 * Defaults picked on MovieLens latest-small (bench/recommender.ts). Batches are large because each
 * step costs a fixed number of backend calls; the Adam learning rate is raised to match.
 */
export const DEFAULT_RECOMMENDER_HP: Record<RecommenderObjective, RecommenderHyperparameters> = {
  explicit: {
    ...COMMON_HP,
    objective: 'explicit',
    dim: 32,
    epochs: 20,
    batchSize: 4096,
    learningRate: 0.01,
    // Ratings are few per user: strong L2 is what keeps the factors from fitting noise.
    l2: 0.15,
    negatives: 0,
    idDropout: 0.2,
  },
  implicit: {
    ...COMMON_HP,
    objective: 'implicit',
    dim: 32,
    epochs: 20,
    batchSize: 4096,
    learningRate: 0.01,
    l2: 0.01,
    negatives: 4,
    idDropout: 0.2,
  },
};

export function recommenderHyperparameters(
  hp: Partial<RecommenderHyperparameters> = {},
): RecommenderHyperparameters {
  return { ...DEFAULT_RECOMMENDER_HP[hp.objective ?? 'explicit'], ...hp };
}

export interface RecommenderEpoch {
  epoch: number;
  epochs: number;
  loss: number;
  /** Training interactions (positives) processed per second in this epoch. */
  samplesPerSecond: number;
  seconds: number;
}

export interface TopKOptions {
  /** Items never to return, typically what the user already has. */
  exclude?: Set<string>;
  /** Business rules (in stock, allowed region…); only asked about items that would enter the top K. */
  filter?: (item: string) => boolean;
  /**
   * The same kind of rules as a mask over rows in itemIds order (0: never return): read before
   * `filter`, at array speed, which matters when the rules reject most of the catalogue.
   */
  allowed?: Uint8Array;
  /** Only these rows (itemIds order) are candidates, e.g. one category's items; rows past the end are skipped. */
  rows?: Int32Array;
}

export interface ScoredItem {
  item: string;
  score: number;
}

/** The whole model as plain arrays, row-major: what a serving process needs for in-memory top-K. */
export interface RecommenderEmbeddings {
  dim: number;
  globalMean: number;
  users: string[];
  /** users.length × dim */
  userVectors: Float32Array;
  userBias: Float32Array;
  items: string[];
  /** items.length × dim: id part + text part, ready for dot products. */
  itemVectors: Float32Array;
  /** id bias + text bias. */
  itemBias: Float32Array;
}

/** The raw learned tables; item vectors are composed from these (see composeItem). */
export interface RecommenderTables {
  userEmbedding: Float32Array;
  userBias: Float32Array;
  itemEmbedding: Float32Array;
  itemBias: Float32Array;
  tokenEmbedding: Float32Array;
  tokenBias: Float32Array;
}

/** Everything a model is: what training produces and the artifact stores. */
export interface RecommenderState {
  hp: RecommenderHyperparameters;
  users: string[];
  items: string[];
  vocab: string[];
  itemTokens: number[][];
  globalMean: number;
  valueRange: [number, number];
  tables: RecommenderTables;
}

export const PAD = '<pad>';
export const CATEGORY_PREFIX = 'cat:';

/** Text tokens of an item: categories (prefixed, so the genre "Comedy" differs from the title word). */
export function itemTokens(features: ItemFeatures): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (t: string): void => {
    if (!seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  };
  for (const c of features.categories) if (c.trim()) add(CATEGORY_PREFIX + c.trim().toLowerCase());
  // Numbers, URLs and punctuation carry no taste; the tokenizer maps them to placeholders we drop.
  for (const t of tokenize(features.text)) if (/^[a-z$]/.test(t)) add(t);
  return out;
}

/** An item's token ids in the vocabulary, at most `max`. */
export function encodeTokens(features: ItemFeatures, vocabIndex: Map<string, number>, max: number): number[] {
  const ids: number[] = [];
  for (const t of itemTokens(features)) {
    const id = vocabIndex.get(t);
    if (id !== undefined) ids.push(id);
    if (ids.length >= max) break;
  }
  return ids;
}

export class RecommenderModel {
  readonly hp: RecommenderHyperparameters;
  readonly globalMean: number;
  /** The range of training values; rating predictions are clipped to it. */
  readonly valueRange: [number, number];
  readonly vocab: string[];
  private readonly users: string[];
  private items: string[];
  private itemTokenIds: number[][];
  private readonly userIndex: Map<string, number>;
  private itemIndex: Map<string, number>;
  private readonly vocabIndex: Map<string, number>;
  private tables: RecommenderTables;
  /** Every item's served vector (id part + text part) and bias, and the scoring of them all. */
  private matrix: ItemMatrix;

  constructor(state: RecommenderState) {
    this.hp = state.hp;
    this.users = state.users;
    this.items = state.items;
    this.vocab = state.vocab;
    this.itemTokenIds = state.itemTokens;
    this.globalMean = state.globalMean;
    this.valueRange = state.valueRange;
    this.tables = state.tables;
    this.userIndex = new Map(this.users.map((u, i) => [u, i]));
    this.itemIndex = new Map(this.items.map((it, i) => [it, i]));
    this.vocabIndex = new Map(this.vocab.map((t, i) => [t, i]));
    const d = this.hp.dim;
    this.matrix = new ItemMatrix(this.items.length, d);
    for (let i = 0; i < this.items.length; i++) {
      const { vector, bias } = this.composeItem(this.itemTokenIds[i] as number[], i);
      this.matrix.vectors.set(vector, i * d);
      this.matrix.bias[i] = bias;
    }
  }

  /** The learned state (tables, id maps, vocabulary), as the artifact stores it. */
  state(): RecommenderState {
    return {
      hp: this.hp,
      users: this.users,
      items: this.items,
      vocab: this.vocab,
      itemTokens: this.itemTokenIds,
      globalMean: this.globalMean,
      valueRange: this.valueRange,
      tables: this.tables,
    };
  }

  get userIds(): readonly string[] {
    return this.users;
  }

  get itemIds(): readonly string[] {
    return this.items;
  }

  hasUser(user: string): boolean {
    return this.userIndex.has(user);
  }

  hasItem(item: string): boolean {
    return this.itemIndex.has(item);
  }

  /** id embedding (zero for an unknown id) + mean token embedding; biases likewise. */
  private composeItem(
    tokenIds: number[],
    itemRow: number | undefined,
  ): { vector: Float32Array; bias: number } {
    const d = this.hp.dim;
    const vector = new Float32Array(d);
    let bias = 0;
    if (tokenIds.length > 0) {
      const w = 1 / tokenIds.length;
      for (const t of tokenIds) {
        const off = t * d;
        for (let j = 0; j < d; j++)
          vector[j] = (vector[j] as number) + w * (this.tables.tokenEmbedding[off + j] as number);
        bias += w * (this.tables.tokenBias[t] as number);
      }
    }
    if (itemRow !== undefined) {
      const off = itemRow * d;
      for (let j = 0; j < d; j++)
        vector[j] = (vector[j] as number) + (this.tables.itemEmbedding[off + j] as number);
      bias += this.tables.itemBias[itemRow] as number;
    }
    return { vector, bias };
  }

  /** A catalogue item's vector, or a cold item's from its text and categories alone. */
  itemVector(item: string | ItemFeatures): Float32Array {
    return this.itemRepresentation(item).vector;
  }

  /** Vector and bias of a catalogue item (by id; zeros for an unknown id) or of any item described by its features. */
  itemRepresentation(item: string | ItemFeatures): { vector: Float32Array; bias: number } {
    const d = this.hp.dim;
    if (typeof item === 'string') {
      const i = this.itemIndex.get(item);
      if (i === undefined) return { vector: new Float32Array(d), bias: 0 };
      return { vector: this.matrix.vectors.slice(i * d, (i + 1) * d), bias: this.matrix.bias[i] as number };
    }
    return this.composeItem(encodeTokens(item, this.vocabIndex, this.hp.maxTokensPerItem), undefined);
  }

  /**
   * Adds items to the in-memory catalogue (new arrivals between retrains): they are scored from
   * their text at once. Known ids are left as they are.
   */
  addItems(newItems: RecommenderItem[]): number {
    const fresh: RecommenderItem[] = [];
    const taken = new Set(this.items);
    for (const it of newItems) {
      if (taken.has(it.item)) continue;
      taken.add(it.item);
      fresh.push(it);
    }
    if (fresh.length === 0) return 0;
    const d = this.hp.dim;
    const matrix = this.matrix.grown(this.items.length + fresh.length);
    for (const it of fresh) {
      const row = this.items.length;
      const tokens = encodeTokens(it, this.vocabIndex, this.hp.maxTokensPerItem);
      const rep = this.composeItem(tokens, undefined);
      matrix.vectors.set(rep.vector, row * d);
      matrix.bias[row] = rep.bias;
      this.itemIndex.set(it.item, row);
      this.items.push(it.item);
      this.itemTokenIds.push(tokens);
    }
    // The id tables grow with zero rows so an artifact saved now reloads with the same catalogue.
    const itemEmbedding = new Float32Array(this.items.length * d);
    itemEmbedding.set(this.tables.itemEmbedding);
    const itemBias = new Float32Array(this.items.length);
    itemBias.set(this.tables.itemBias);
    this.tables = { ...this.tables, itemEmbedding, itemBias };
    this.matrix = matrix;
    return fresh.length;
  }

  /** The learned vector of a training user (undefined for users unseen in training). */
  userVector(user: string): Float32Array | undefined {
    const u = this.userIndex.get(user);
    if (u === undefined) return undefined;
    const d = this.hp.dim;
    return this.tables.userEmbedding.slice(u * d, (u + 1) * d);
  }

  /**
   * Fold-in for a user unseen in training: the mean vector of the items they recently interacted
   * with. Scoring with it ranks items by similarity to that history, so a brand-new user with a
   * handful of events already gets personal results, without retraining.
   */
  userVectorFromItems(recentItems: (string | ItemFeatures)[]): Float32Array {
    const d = this.hp.dim;
    const out = new Float32Array(d);
    let count = 0;
    for (const item of recentItems) {
      if (typeof item === 'string') {
        const i = this.itemIndex.get(item);
        if (i === undefined) continue;
        const off = i * d;
        for (let j = 0; j < d; j++) out[j] = (out[j] as number) + (this.matrix.vectors[off + j] as number);
      } else {
        const v = this.itemVector(item);
        for (let j = 0; j < d; j++) out[j] = (out[j] as number) + (v[j] as number);
      }
      count++;
    }
    if (count > 0) for (let j = 0; j < d; j++) out[j] = (out[j] as number) / count;
    return out;
  }

  private resolveUser(user: string | Float32Array): { vector: Float32Array | undefined; bias: number } {
    if (typeof user !== 'string') {
      if (user.length !== this.hp.dim)
        throw new Error(`user vector has ${user.length} dimensions, the model ${this.hp.dim}`);
      return { vector: user, bias: 0 };
    }
    const u = this.userIndex.get(user);
    if (u === undefined) return { vector: undefined, bias: 0 };
    const d = this.hp.dim;
    return {
      vector: this.tables.userEmbedding.subarray(u * d, (u + 1) * d),
      bias: this.tables.userBias[u] as number,
    };
  }

  /**
   * Scores of every catalogue item, in itemIds order, for a training user or a (fold-in) vector.
   * An unknown user gets the bias-only scores, i.e. a popularity ranking. `out` lets a caller reuse
   * its buffer.
   */
  scoreAll(
    user: string | Float32Array,
    out: Float32Array = new Float32Array(this.items.length),
  ): Float32Array {
    out.set(this.scoreView(user));
    return out;
  }

  /** scoreAll in the matrix's own buffer (no copy), valid until the next call. */
  private scoreView(user: string | Float32Array): Float32Array {
    const { vector, bias } = this.resolveUser(user);
    return this.matrix.scores(vector, this.globalMean + bias);
  }

  /** The K best items over the whole catalogue, best first, skipping `exclude` and what `filter` rejects. */
  topK(user: string | Float32Array, k: number, options: TopKOptions = {}): ScoredItem[] {
    if (k <= 0) return [];
    const scores = this.scoreView(user);
    const excluded = new Set<number>();
    for (const item of options.exclude ?? []) {
      const i = this.itemIndex.get(item);
      if (i !== undefined) excluded.add(i);
    }
    const { allowed, rows, filter } = options;
    const n = scores.length;
    // A sorted array of K (index, score) beats a heap for the small K of recommendation lists.
    const idx: number[] = [];
    const val: number[] = [];
    const consider = (i: number): void => {
      const s = scores[i] as number;
      if (idx.length === k && s <= (val[k - 1] as number)) return;
      if (allowed && allowed[i] === 0) return;
      if (excluded.has(i)) return;
      if (filter && !filter(this.items[i] as string)) return;
      let p = idx.length === k ? k - 1 : idx.length;
      while (p > 0 && (val[p - 1] as number) < s) {
        idx[p] = idx[p - 1] as number;
        val[p] = val[p - 1] as number;
        p--;
      }
      idx[p] = i;
      val[p] = s;
    };
    if (rows) {
      for (let r = 0; r < rows.length; r++) {
        const i = rows[r] as number;
        if (i < n) consider(i);
      }
    } else {
      for (let i = 0; i < n; i++) consider(i);
    }
    return idx.map((i, p) => ({ item: this.items[i] as string, score: val[p] as number }));
  }

  /** Scores of given items (ids or features of cold items) for a user: candidate re-ranking, evaluation. */
  scoreItems(user: string | Float32Array, items: (string | ItemFeatures)[]): Float32Array {
    const { vector, bias } = this.resolveUser(user);
    const d = this.hp.dim;
    const out = new Float32Array(items.length);
    items.forEach((item, k) => {
      const row = typeof item === 'string' ? this.itemIndex.get(item) : undefined;
      let s = this.globalMean + bias;
      if (row !== undefined) {
        s += this.matrix.bias[row] as number;
        if (vector)
          for (let j = 0; j < d; j++)
            s += (vector[j] as number) * (this.matrix.vectors[row * d + j] as number);
      } else if (typeof item !== 'string') {
        const rep = this.composeItem(
          encodeTokens(item, this.vocabIndex, this.hp.maxTokensPerItem),
          undefined,
        );
        s += rep.bias;
        if (vector) for (let j = 0; j < d; j++) s += (vector[j] as number) * (rep.vector[j] as number);
      }
      out[k] = s;
    });
    return out;
  }

  /** Predicted ratings (explicit models), clipped to the training range; items by id or by features. */
  predict(pairs: { user: string; item: string | ItemFeatures }[]): Float32Array {
    const [lo, hi] = this.valueRange;
    const out = new Float32Array(pairs.length);
    pairs.forEach((p, k) => {
      const s = this.scoreItems(p.user, [p.item])[0] as number;
      out[k] = Math.min(hi, Math.max(lo, s));
    });
    return out;
  }

  /** Plain arrays for a serving process (copies: the model keeps its own). */
  embeddings(): RecommenderEmbeddings {
    return {
      dim: this.hp.dim,
      globalMean: this.globalMean,
      users: [...this.users],
      userVectors: this.tables.userEmbedding.slice(),
      userBias: this.tables.userBias.slice(),
      items: [...this.items],
      itemVectors: this.matrix.vectors.slice(),
      itemBias: this.matrix.bias.slice(),
    };
  }
}
