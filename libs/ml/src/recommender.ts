// The recommender: user and item embeddings with biases (user, item, global mean), trained either on
// explicit ratings (squared error + L2) or on implicit feedback (BPR over sampled negatives). An
// item's vector is its id embedding plus the mean embedding of its text tokens (title words and
// categories), so an item never seen in training still gets a usable vector from its text; "id
// dropout" during training teaches the text part to stand alone. Training runs on the TF.js backend
// in large batches; afterwards everything lives in plain Float32Arrays, so scoring, top-K over the
// whole catalogue, cold items and fold-in of new users need no TensorFlow at all.
import {
  packModel,
  readManifest,
  unpackModel,
  type ArtifactFile,
  type ModelArtifact,
  type ModelManifest,
} from './artifact';
import { ItemMatrix } from './kernels/item-matrix';
import type { TF } from './backend';
import { seededRandom } from './random';
import { tokenize } from './tokenizer';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Variable = import('@tensorflow/tfjs').Variable;
type SymbolicTensor = import('@tensorflow/tfjs').SymbolicTensor;

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
interface Tables {
  userEmbedding: Float32Array;
  userBias: Float32Array;
  itemEmbedding: Float32Array;
  itemBias: Float32Array;
  tokenEmbedding: Float32Array;
  tokenBias: Float32Array;
}

interface ModelState {
  hp: RecommenderHyperparameters;
  users: string[];
  items: string[];
  vocab: string[];
  itemTokens: number[][];
  globalMean: number;
  valueRange: [number, number];
  tables: Tables;
}

const PAD = '<pad>';
const CATEGORY_PREFIX = 'cat:';

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

function buildVocabulary(items: RecommenderItem[], minCount: number): string[] {
  const counts = new Map<string, number>();
  for (const item of items) for (const t of itemTokens(item)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const kept = [...counts]
    .filter(([t, n]) => n >= minCount || t.startsWith(CATEGORY_PREFIX))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([t]) => t);
  return [PAD, ...kept];
}

function encodeTokens(features: ItemFeatures, vocabIndex: Map<string, number>, max: number): number[] {
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
  private tables: Tables;
  /** Every item's served vector (id part + text part) and bias, and the scoring of them all. */
  private matrix: ItemMatrix;

  private constructor(state: ModelState) {
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

  /**
   * Fits the model. Interactions on items missing from `items` are fine (they get an id part only);
   * catalogue items without interactions keep a zero id part and are scored from their text.
   */
  static async train(
    tf: TF,
    data: RecommenderData,
    hyperparameters: Partial<RecommenderHyperparameters> = {},
    onEpoch: (p: RecommenderEpoch) => void = () => undefined,
  ): Promise<RecommenderModel> {
    const hp = recommenderHyperparameters(hyperparameters);
    const { interactions } = data;
    if (interactions.length === 0) throw new Error('recommender: no interactions to train on');
    if (hp.objective === 'implicit' && hp.negatives < 1)
      throw new Error('recommender: implicit training needs negatives >= 1');

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
    const tables = await fitTables(
      tf,
      hp,
      { users: users.length, items: items.length, vocab: vocab.length },
      itemTokenIds,
      { uIdx, iIdx, values, globalMean },
      onEpoch,
    );
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
    return new RecommenderModel({
      hp,
      users,
      items,
      vocab,
      itemTokens: itemTokenIds,
      globalMean,
      valueRange: [lo, hi],
      tables,
    });
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

  /**
   * A LayersModel holding the six learned tables as embedding layers (model.json + weights.bin);
   * the id maps, vocabulary and item tokens go into the manifest's `extra`.
   */
  async toArtifact(
    tf: TF,
    manifest: Omit<ModelManifest, 'format' | 'kind' | 'hyperparameters' | 'extra'>,
  ): Promise<ModelArtifact> {
    const model = tablesModel(tf, this.hp.dim, {
      users: this.users.length,
      items: this.items.length,
      vocab: this.vocab.length,
    });
    try {
      const d = this.hp.dim;
      const t = this.tables;
      const weights = [
        tf.tensor2d(t.userEmbedding, [this.users.length, d]),
        tf.tensor2d(t.userBias, [this.users.length, 1]),
        tf.tensor2d(t.itemEmbedding, [this.items.length, d]),
        tf.tensor2d(t.itemBias, [this.items.length, 1]),
        tf.tensor2d(t.tokenEmbedding, [this.vocab.length, d]),
        tf.tensor2d(t.tokenBias, [this.vocab.length, 1]),
      ];
      TABLE_LAYERS.forEach((name, k) => model.getLayer(name).setWeights([weights[k] as Tensor]));
      weights.forEach((w) => w.dispose());
      const extra: RecommenderExtra = {
        objective: this.hp.objective,
        globalMean: this.globalMean,
        valueRange: this.valueRange,
        users: this.users,
        items: this.items,
        vocab: this.vocab,
        itemTokens: this.itemTokenIds.map((ids) => ids.join(' ')),
      };
      return await packModel(tf, model, {
        format: 'mercato-model/v1',
        kind: 'recommender',
        hyperparameters: { ...this.hp },
        extra: extra as unknown as Record<string, unknown>,
        ...manifest,
      });
    } finally {
      model.dispose();
    }
  }

  static async fromArtifact(tf: TF, artifact: { files: ArtifactFile[] }): Promise<RecommenderModel> {
    const manifest = readManifest(artifact);
    if (manifest.kind !== 'recommender' || !manifest.extra)
      throw new Error(`not a recommender artifact (kind ${manifest.kind})`);
    const extra = manifest.extra as unknown as RecommenderExtra;
    const hp = recommenderHyperparameters(manifest.hyperparameters as Partial<RecommenderHyperparameters>);
    const model = await unpackModel(tf, artifact);
    try {
      const read = (name: string): Float32Array =>
        Float32Array.from((model.getLayer(name).getWeights()[0] as Tensor).dataSync() as Float32Array);
      const [userEmbedding, userBias, itemEmbedding, itemBias, tokenEmbedding, tokenBias] = TABLE_LAYERS.map(
        read,
      ) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      if (
        itemEmbedding.length !== extra.items.length * hp.dim ||
        userEmbedding.length !== extra.users.length * hp.dim
      ) {
        throw new Error('recommender artifact: tables do not match the id maps in the manifest');
      }
      return new RecommenderModel({
        hp,
        users: extra.users,
        items: extra.items,
        vocab: extra.vocab,
        itemTokens: extra.itemTokens.map((ids) => (ids ? ids.split(' ').map(Number) : [])),
        globalMean: extra.globalMean,
        valueRange: extra.valueRange,
        tables: { userEmbedding, userBias, itemEmbedding, itemBias, tokenEmbedding, tokenBias },
      });
    } finally {
      model.dispose();
    }
  }
}

/** What the manifest's `extra` holds for kind 'recommender'. */
export interface RecommenderExtra {
  objective: RecommenderObjective;
  globalMean: number;
  valueRange: [number, number];
  users: string[];
  items: string[];
  vocab: string[];
  /**
   * Per item (itemIds order), its token ids in `vocab`, space-separated: one short string per item
   * keeps the pretty-printed manifest small (nested number arrays print one number per line).
   */
  itemTokens: string[];
}

const TABLE_LAYERS = [
  'user_embedding',
  'user_bias',
  'item_embedding',
  'item_bias',
  'token_embedding',
  'token_bias',
] as const;

/** (user, item, token) ids in, their rows of each table out: a container that serializes as TF.js layers. */
function tablesModel(
  tf: TF,
  dim: number,
  sizes: { users: number; items: number; vocab: number },
): import('@tensorflow/tfjs').LayersModel {
  const user = tf.input({ shape: [1], dtype: 'int32', name: 'user' });
  const item = tf.input({ shape: [1], dtype: 'int32', name: 'item' });
  const token = tf.input({ shape: [1], dtype: 'int32', name: 'token' });
  const table = (input: SymbolicTensor, rows: number, width: number, name: string): SymbolicTensor =>
    tf.layers
      .flatten({ name: `${name}_row` })
      .apply(tf.layers.embedding({ inputDim: rows, outputDim: width, name }).apply(input)) as SymbolicTensor;
  const outputs = [
    table(user, sizes.users, dim, 'user_embedding'),
    table(user, sizes.users, 1, 'user_bias'),
    table(item, sizes.items, dim, 'item_embedding'),
    table(item, sizes.items, 1, 'item_bias'),
    table(token, sizes.vocab, dim, 'token_embedding'),
    table(token, sizes.vocab, 1, 'token_bias'),
  ];
  return tf.model({ inputs: [user, item, token], outputs, name: 'mercato_recommender' });
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
): Promise<Tables> {
  const { dim: d, seed } = hp;
  const n = data.uIdx.length;
  // All items' tokens as one flat list (item row, token id, weight 1/count): an item's text part is
  // then a gather and a segment sum, over the real tokens only (no padding to the longest title).
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
  // Inside tidy, so the initial values are released once the variables hold them.
  const init = (shape: [number, number], s: number): Variable =>
    tf.tidy(() =>
      tf.variable(
        tf.initializers.randomNormal({ mean: 0, stddev: hp.initStddev, seed: s }).apply(shape) as Tensor,
      ),
    );
  const zeros = (rows: number): Variable => tf.tidy(() => tf.variable(tf.zeros([rows])));
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
