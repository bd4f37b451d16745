// The recommender: user and item embeddings with biases (user, item, global mean), trained on
// explicit ratings (squared error + L2), on implicit feedback (BPR over sampled negatives), or as a
// sequential two-tower model (next-item softmax: the user tower is a learned recency-weighted sum of
// the item tower over the user's latest items, so a user is their recent history, known or not). An
// item's vector is its id embedding plus the mean embedding of its text tokens (title words and
// categories), so an item never seen in training still gets a usable vector from its text; "id
// dropout" during training teaches the text part to stand alone. Training runs on the TF.js backend
// in large batches; afterwards everything lives in plain Float32Arrays, so scoring, top-K over the
// whole catalogue (exhaustive, or through an IVF index for large catalogues), cold items and fold-in
// of new users need no TensorFlow at all.
// This file is the model as it serves (scoring, top-K, fold-in, adding items); training is in
// recommender-training.ts, the artifact (TF.js layers + manifest) in recommender-artifact.ts.
import { seededRandom } from '@mercato/synthetic';
import { insertBest } from './best-k';
import { IvfIndex, DEFAULT_IVF_SETTINGS, NonFiniteRowError, type IvfSettings } from './ivf-index';
import { ItemMatrix } from './kernels/item-matrix';
import { tokenize } from './tokenizer';

export type RecommenderObjective = 'explicit' | 'implicit' | 'sequential';

export const RECOMMENDER_OBJECTIVES: readonly RecommenderObjective[] = ['explicit', 'implicit', 'sequential'];

/**
 * What interaction logs (clicks, carts, purchases) train when no objective is asked for: the
 * sequential two-tower model, which ranks best on the recommender bench (bench/recommender.ts).
 */
export const DEFAULT_RANKING_OBJECTIVE: RecommenderObjective = 'sequential';

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
  /**
   * Sampled negatives: per positive for BPR (implicit); per batch for the sequential model's softmax,
   * which runs over the whole catalogue when it has no more items than this.
   */
  negatives: number;
  /** Sequential: the latest items the user tower reads (its learned weights are per position). */
  historyLength: number;
  /** Sequential: probability of hiding each history item in a training example. */
  historyDropout: number;
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
  historyLength: 50,
  historyDropout: 0,
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
  sequential: {
    ...COMMON_HP,
    objective: 'sequential',
    dim: 64,
    epochs: 12,
    batchSize: 1024,
    learningRate: 0.005,
    l2: 0,
    negatives: 8192,
    idDropout: 0.2,
    historyDropout: 0.2,
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
  /** The share of rows `allowed` lets through; an index widens its probe by it (1 when absent). */
  allowedShare?: number;
  /**
   * Only these rows (itemIds order, ascending) are candidates, e.g. one category's items; rows past
   * the end are skipped. Few of them are scored one by one; many go through the index.
   */
  rows?: Int32Array;
  /** The exhaustive scan even when an index is built (what recall is measured against). */
  exact?: boolean;
}

/**
 * How top-K is computed: exhaustively below `exactBelow` items, else through an IVF index. Its
 * `probe` is 0 by default: chosen when the index is built, as the smallest that recalls at least
 * `targetRecall` of the exhaustive top 10 on tuning queries (see buildIndex); a number sets it.
 */
export interface RetrievalSettings extends IvfSettings {
  exactBelow: number;
  targetRecall: number;
}

export const DEFAULT_RETRIEVAL_SETTINGS: RetrievalSettings = {
  ...DEFAULT_IVF_SETTINGS,
  probe: 0,
  exactBelow: 20_000,
  targetRecall: 0.98,
};

/**
 * The score a result must reach to count as one of the exhaustive top K whose K-th scored `kth`:
 * items with identical vectors tie, and either is a right answer.
 */
const recallFloor = (kth: number): number => kth - 1e-6 * Math.max(1, Math.abs(kth));

/**
 * At most `n` of `xs`, evenly spread: every floor(length / n)-th from the first (all of them when
 * there are no more than n). Warm-up and tuning queries are drawn this way from the users.
 */
export function evenSpread<T>(xs: readonly T[], n: number): T[] {
  const step = Math.max(1, Math.floor(xs.length / n));
  const out: T[] = [];
  for (let i = 0; i < xs.length && out.length < n; i += step) out.push(xs[i] as T);
  return out;
}

/** Probes (and subset widenings) tried when one is chosen, smallest first; past the last, half as many again each step, up to every cell. */
const PROBE_STEPS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
/** The shares of the rows in the random subsets the reach of a subset-limited query is chosen on. */
const SUBSET_SHARES = [0.1, 0.02];
/** Short of the target, the smallest step within this of the best recall is kept. */
const PLATEAU = 0.005;
/** Recall is measured at this K when the probe is chosen, on at most this many queries. */
const TUNE_AT = 10;
const TUNE_QUERIES = 128;

/**
 * What buildIndex chooses the probe on: queries like the traffic's (users by id, or query vectors)
 * and, for the reach of subset-limited queries, subsets like its categories (rows, ascending;
 * random ones when absent).
 */
export interface IndexTuning {
  queries?: readonly (string | Float32Array)[];
  subsets?: readonly Int32Array[];
}

/** How the probe of an index was chosen, and the recall measured when it was. */
export interface ProbeChoice {
  /** `measured`: the smallest probe reaching the target on the tuning queries; `set`: given. */
  how: 'measured' | 'set';
  /**
   * Recall@10 against the exhaustive scan on the tuning queries at the chosen probe (below the
   * target only when no probe reached it: then the smallest about as good as every cell).
   */
  recall: number;
  /** The reach of a query limited to a subset (a category), and its recall on the same queries limited to random subsets. */
  subsetWiden: number;
  subsetRecall: number;
  targetRecall: number;
  queries: number;
  /** Probes tried (measured) and the time it took, within buildMs. */
  tried: number;
  ms: number;
}

/** What serves a model's top-K, and what it holds. */
export interface RetrievalInfo {
  kind: 'exact' | 'ivf';
  items: number;
  /** The item vectors and biases (the exact scan's table, and the index's re-ranking). */
  matrixBytes: number;
  /** The index's codes, layout and centroids (0 for the exact scan). */
  indexBytes: number;
  buildMs: number;
  /** IVF only: cells, cells read per query, candidates re-ranked, items added since the layout. */
  lists?: number;
  probe?: number;
  rerank?: number;
  /** IVF only: how the probe was chosen. */
  probeChoice?: ProbeChoice;
  pendingItems?: number;
  /** Why the index could not be built again when items added since outgrew it (the previous one serves). */
  rebuildError?: string;
}

/** An index that could not be built, and why (a model is refused for it rather than served wrongly). */
export class IndexBuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IndexBuildError';
  }
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
  /**
   * Sequential models: the user tower's weight of each history position (0: the latest item). A
   * user's vector is the weighted sum of their latest items' vectors, the weights of the positions
   * present renormalised to 1.
   */
  positionWeights?: Float32Array;
  users: string[];
  items: string[];
  vocab: string[];
  itemTokens: number[][];
  globalMean: number;
  valueRange: [number, number];
  tables: RecommenderTables;
}

export const PAD = '<pad>';
/** Items a fold-in reads for models without a user tower. */
const FOLD_IN_ITEMS = 20;
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
  private readonly positionWeights: Float32Array | undefined;
  /** Every item's served vector (id part + text part) and bias, and the scoring of them all. */
  private matrix: ItemMatrix;
  /** Sublinear top-K over the matrix, once buildIndex() has decided the catalogue is large enough. */
  private index: IvfIndex | undefined;
  private retrievalInfo: Omit<RetrievalInfo, 'items' | 'matrixBytes' | 'indexBytes' | 'pendingItems'> = {
    kind: 'exact',
    buildMs: 0,
  };
  /** The settings of the last buildIndex(): items added later are served by their rules too. */
  private retrievalSettings: RetrievalSettings | undefined;
  /** What the last buildIndex() chose its probe on (a rebuild after growth chooses on it again). */
  private tuning: IndexTuning | undefined;

  constructor(state: RecommenderState) {
    this.hp = state.hp;
    this.users = state.users;
    this.items = state.items;
    this.vocab = state.vocab;
    this.itemTokenIds = state.itemTokens;
    this.globalMean = state.globalMean;
    this.valueRange = state.valueRange;
    this.tables = state.tables;
    this.positionWeights = state.positionWeights;
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
   * The learned state (tables, id maps, vocabulary), as the artifact stores it. Items added since
   * training get zero id rows here, so an artifact saved now reloads with the same catalogue.
   */
  state(): RecommenderState {
    const d = this.hp.dim;
    let tables = this.tables;
    if (tables.itemBias.length < this.items.length) {
      const itemEmbedding = new Float32Array(this.items.length * d);
      itemEmbedding.set(tables.itemEmbedding);
      const itemBias = new Float32Array(this.items.length);
      itemBias.set(tables.itemBias);
      tables = { ...tables, itemEmbedding, itemBias };
    }
    return {
      hp: this.hp,
      ...(this.positionWeights ? { positionWeights: this.positionWeights } : {}),
      users: this.users,
      items: this.items,
      vocab: this.vocab,
      itemTokens: this.itemTokenIds,
      globalMean: this.globalMean,
      valueRange: this.valueRange,
      tables,
    };
  }

  /**
   * How many of a user's latest items make their vector: the sequential model's history length;
   * for the others, the fold-in of a user unseen in training.
   */
  get historyLength(): number {
    return this.positionWeights ? this.positionWeights.length : FOLD_IN_ITEMS;
  }

  /** Whether a user is their recent history (sequential): then fresh history beats the stored vector. */
  get readsHistory(): boolean {
    return this.positionWeights !== undefined;
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

  /** An item's row (its place in itemIds), undefined for an item the model does not have. */
  rowOf(item: string): number | undefined {
    return this.itemIndex.get(item);
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
    if (itemRow !== undefined && itemRow < this.tables.itemBias.length) {
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
   * their text at once, and go into the index when one is built. Known ids are left as they are.
   */
  addItems(newItems: RecommenderItem[]): number {
    const fresh: RecommenderItem[] = [];
    const taken = new Set<string>();
    for (const it of newItems) {
      if (taken.has(it.item) || this.itemIndex.has(it.item)) continue;
      taken.add(it.item);
      fresh.push(it);
    }
    if (fresh.length === 0) return 0;
    const d = this.hp.dim;
    const matrix = this.matrix.resized(this.items.length + fresh.length);
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
    this.matrix = matrix;
    this.index?.add(matrix);
    this.followGrowth();
    return fresh.length;
  }

  /**
   * After items were added (a catalogue read after the version loaded, or one that grew between
   * retrains): an exhaustive scan that reached `exactBelow` items gets its index, and an index whose
   * cells were chosen for under half today's items is built again. Should that build fail, the
   * retrieval in place keeps serving and `rebuildError` says why.
   */
  private followGrowth(): void {
    const settings = this.retrievalSettings;
    if (!settings) return;
    const due = this.index ? this.index.outgrown : this.items.length >= settings.exactBelow;
    if (!due) return;
    try {
      this.buildIndex(settings, this.tuning);
    } catch (err) {
      this.retrievalInfo = { ...this.retrievalInfo, rebuildError: (err as Error).message };
    }
  }

  /**
   * Chooses how top-K is served: the exhaustive scan below `exactBelow` items, else an IVF index
   * over the item vectors, built now. With `probe` 0 (the default) the index's probe is the smallest
   * of PROBE_STEPS whose recall@10 against the exhaustive scan reaches `targetRecall` on the tuning
   * queries: users' vectors or histories like the traffic's (default: an even spread of the learned
   * users and towers over single items, TUNE_QUERIES in all). Throws IndexBuildError (saying why)
   * when the index cannot be built; the model then keeps the retrieval it had. Items added later
   * follow the same settings (see followGrowth).
   */
  buildIndex(settings: Partial<RetrievalSettings> = {}, tuning?: IndexTuning): RetrievalInfo {
    const chosen = { ...DEFAULT_RETRIEVAL_SETTINGS, ...settings };
    const { exactBelow, targetRecall, ...ivf } = chosen;
    if (!(chosen.probe === 0 || chosen.probe >= 1) || !(targetRecall > 0 && targetRecall <= 1))
      throw new IndexBuildError(
        `index settings: probe must be 0 (chosen) or at least 1, targetRecall in (0, 1] (${chosen.probe}, ${targetRecall})`,
      );
    this.retrievalSettings = chosen;
    this.tuning = tuning;
    const started = performance.now();
    if (this.items.length < exactBelow) {
      this.index = undefined;
      this.retrievalInfo = { kind: 'exact', buildMs: 0 };
      return this.retrieval();
    }
    let index: IvfIndex;
    try {
      index = IvfIndex.build(this.matrix, { ...ivf, probe: ivf.probe || 1 });
    } catch (err) {
      const why =
        err instanceof NonFiniteRowError
          ? `item ${this.items[err.row]} has a vector or bias that is not a finite number`
          : (err as Error).message;
      throw new IndexBuildError(`cannot index ${this.items.length} items: ${why}`, { cause: err });
    }
    const probeChoice = this.chooseProbe(
      index,
      ivf.probe === 0 ? undefined : ivf.probe,
      targetRecall,
      tuning?.queries ?? this.defaultTuningQueries(chosen.seed),
      tuning?.subsets ?? [],
      chosen.seed,
    );
    this.index = index;
    this.retrievalInfo = {
      kind: 'ivf',
      buildMs: performance.now() - started,
      lists: index.lists,
      probe: index.settings.probe,
      rerank: index.settings.rerank,
      probeChoice,
    };
    return this.retrieval();
  }

  /**
   * Sets how much the index reads: the given probe, or the smallest step whose recall@10 on the
   * queries against the exhaustive scan reaches the target (every cell when none does); then, at that
   * probe, the smallest `subsetWiden` step whose recall@10 reaches the target on the same queries
   * limited to subsets of the rows: the given ones (the catalogue's categories), else random ones
   * (SUBSET_SHARES of them: categories spread over every cell). When no step reaches the target,
   * the smallest one about as good as the best is kept (see climb). A given probe keeps the given subsetWiden; its recalls are measured all
   * the same. Queries without a vector (popularity) are left out: the index answers them exactly.
   */
  private chooseProbe(
    index: IvfIndex,
    given: number | undefined,
    target: number,
    queries: readonly (string | Float32Array)[],
    givenSubsets: readonly Int32Array[],
    seed: number,
  ): ProbeChoice {
    const started = performance.now();
    const random = seededRandom(seed);
    const n = this.items.length;
    const sampled = (share: number): Int32Array => {
      const rows: number[] = [];
      for (let row = 0; row < n; row++) if (random() < share) rows.push(row);
      return Int32Array.from(rows);
    };
    const subsets =
      givenSubsets.length > 0
        ? givenSubsets.filter((rows) => rows.length > 0)
        : SUBSET_SHARES.map((share) => sampled(share));
    interface Tuned {
      vector: Float32Array;
      base: number;
      floor: number;
      expected: number;
      rows?: Int32Array;
    }
    const tuned: Tuned[] = [];
    const limited: Tuned[] = [];
    const exactly = (vector: Float32Array, base: number, rows?: Int32Array): Tuned | undefined => {
      const exact = this.topK(vector, TUNE_AT, rows ? { rows, exact: true } : { exact: true });
      const last = exact[exact.length - 1];
      if (!last) return undefined;
      return { vector, base, floor: recallFloor(last.score), expected: exact.length, rows };
    };
    for (const query of queries.slice(0, TUNE_QUERIES)) {
      const { vector, bias } = this.resolveUser(query);
      if (!vector?.some((x) => x !== 0)) continue;
      const base = this.globalMean + bias;
      const all = exactly(vector, base);
      if (all) tuned.push(all);
      const subset = subsets[tuned.length % subsets.length];
      const within = subset && exactly(vector, base, subset);
      if (within) limited.push(within);
    }
    const recallOf = (set: readonly Tuned[]): number => {
      let expected = 0;
      let found = 0;
      for (const q of set) {
        const { scores } = index.search(this.matrix, q.vector, q.base, TUNE_AT, { withinRows: q.rows });
        expected += q.expected;
        for (let p = 0; p < scores.length; p++) if ((scores[p] as number) >= q.floor) found++;
      }
      return expected === 0 ? 1 : found / expected;
    };
    let tried = 0;
    /**
     * The first step (1, 2, 3, 4, 6, 8…) whose recall reaches the target; when none does (up to
     * every cell), the smallest step within PLATEAU of the best recall: past it, reading more buys
     * next to nothing (near-ties in the 8-bit codes decide what is left).
     */
    const climb = (apply: (step: number) => boolean, set: readonly Tuned[]): number => {
      const seen: { step: number; recall: number }[] = [];
      for (let i = 0, step = 1; ; i++) {
        step = PROBE_STEPS[i] ?? Math.ceil(step * 1.5);
        const last = apply(step);
        const recall = recallOf(set);
        tried++;
        if (recall >= target) return recall;
        seen.push({ step, recall });
        if (last) break;
      }
      const best = Math.max(...seen.map((s) => s.recall));
      const chosen = seen.find((s) => s.recall >= best - PLATEAU) as { step: number; recall: number };
      apply(chosen.step);
      return chosen.recall;
    };
    let recall: number;
    let subsetRecall: number;
    if (given !== undefined) {
      index.setReach({ probe: given });
      recall = recallOf(tuned);
      subsetRecall = recallOf(limited);
      tried = 1;
    } else {
      recall = climb((probe) => {
        index.setReach({ probe });
        return probe >= index.lists;
      }, tuned);
      const probe = index.settings.probe;
      subsetRecall = climb((subsetWiden) => {
        index.setReach({ subsetWiden });
        return probe * subsetWiden >= index.lists;
      }, limited);
    }
    return {
      how: given === undefined ? 'measured' : 'set',
      recall,
      subsetWiden: index.settings.subsetWiden,
      subsetRecall,
      targetRecall: target,
      queries: tuned.length,
      tried,
      ms: performance.now() - started,
    };
  }

  /**
   * Tuning queries when the caller has none like its traffic: an even spread of the learned users
   * and towers over single items (seeded), half each.
   */
  private defaultTuningQueries(seed: number): (string | Float32Array)[] {
    const out: (string | Float32Array)[] = evenSpread(this.users, TUNE_QUERIES / 2);
    const random = seededRandom(seed);
    while (out.length < TUNE_QUERIES)
      out.push(this.userVectorFromItems([this.items[Math.floor(random() * this.items.length)] as string]));
    return out;
  }

  /**
   * Recall@K of top-K as served (through the index when one is built) against the exhaustive scan,
   * over the given queries and filters. A result counts when its score reaches the exact K-th
   * score: items with identical vectors tie, and either is a right answer (`ids` counts by id).
   */
  retrievalRecall(
    queries: readonly (string | Float32Array)[],
    k: number,
    options: Omit<TopKOptions, 'exact'> = {},
  ): { recall: number; ids: number; queries: number } {
    let expected = 0;
    let byScore = 0;
    let byId = 0;
    for (const query of queries) {
      const exact = this.topK(query, k, { ...options, exact: true });
      const served = this.topK(query, k, options);
      const last = exact[exact.length - 1];
      if (!last) continue;
      const floor = recallFloor(last.score);
      const ids = new Set(exact.map((r) => r.item));
      expected += exact.length;
      byScore += served.filter((r) => r.score >= floor).length;
      byId += served.filter((r) => ids.has(r.item)).length;
    }
    return {
      recall: expected === 0 ? 1 : byScore / expected,
      ids: expected === 0 ? 1 : byId / expected,
      queries: queries.length,
    };
  }

  /** How top-K is served now, and the memory it holds. */
  retrieval(): RetrievalInfo {
    return {
      ...this.retrievalInfo,
      items: this.items.length,
      matrixBytes: this.matrix.bytes,
      indexBytes: this.index?.memoryBytes ?? 0,
      ...(this.index ? { pendingItems: this.index.pendingRows } : {}),
    };
  }

  /** The learned vector of a training user (undefined for users unseen in training). */
  userVector(user: string): Float32Array | undefined {
    const u = this.userIndex.get(user);
    if (u === undefined) return undefined;
    const d = this.hp.dim;
    return this.tables.userEmbedding.slice(u * d, (u + 1) * d);
  }

  /**
   * A user's vector from the items they interacted with, most recent first: for the sequential model
   * its user tower (the position-weighted sum over the latest historyLength items); for the others
   * the fold-in of a user unseen in training, the mean vector of those items. Scoring with it ranks
   * items by similarity to that history, so a brand-new user with a handful of events already gets
   * personal results, without retraining. Items the model does not know are skipped.
   */
  userVectorFromItems(recentItems: readonly (string | ItemFeatures)[]): Float32Array {
    const d = this.hp.dim;
    const out = new Float32Array(d);
    const weights = this.positionWeights;
    let total = 0;
    let position = 0;
    for (const item of recentItems) {
      if (weights && position >= weights.length) break;
      let vector: Float32Array;
      let offset = 0;
      if (typeof item === 'string') {
        const i = this.itemIndex.get(item);
        if (i === undefined) continue;
        vector = this.matrix.vectors;
        offset = i * d;
      } else {
        vector = this.itemVector(item);
      }
      const w = weights ? (weights[position] as number) : 1;
      for (let j = 0; j < d; j++) out[j] = (out[j] as number) + w * (vector[offset + j] as number);
      total += w;
      position++;
    }
    if (total > 0) for (let j = 0; j < d; j++) out[j] = (out[j] as number) / total;
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

  /**
   * The K best items over the whole catalogue, best first, skipping `exclude` and what `allowed`
   * and `filter` reject: through the index when one is built (exact scores, approximate set), else
   * the exhaustive scan. Fewer than K only when fewer items pass the filters.
   */
  topK(user: string | Float32Array, k: number, options: TopKOptions = {}): ScoredItem[] {
    if (k <= 0) return [];
    const excluded = new Set<number>();
    for (const item of options.exclude ?? []) {
      const i = this.itemIndex.get(item);
      if (i !== undefined) excluded.add(i);
    }
    const { allowed, rows, filter } = options;
    const index = options.exact ? undefined : this.index;
    if (index && !(rows && rows.length <= this.rowsScoredOneByOne(index))) {
      const { vector, bias } = this.resolveUser(user);
      // A zero vector scores by bias alone (popularity): the index reads that in bias order, exactly.
      const query = vector?.some((x) => x !== 0) ? vector : undefined;
      const found = index.search(this.matrix, query, this.globalMean + bias, k, {
        allowed,
        allowedShare: options.allowedShare,
        withinRows: rows,
        excluded,
        accept: filter ? (row) => filter(this.items[row] as string) : undefined,
      });
      return Array.from(found.rows, (row, p) => ({
        item: this.items[row] as string,
        score: found.scores[p] as number,
      }));
    }
    let scores: Float32Array;
    let candidates: Int32Array | undefined;
    if (rows) {
      // The listed rows alone, scored one by one: a category is a small part of a large catalogue.
      const n = this.items.length;
      let count = rows.length;
      while (count > 0 && (rows[count - 1] as number) >= n) count--;
      const { vector, bias } = this.resolveUser(user);
      scores = this.matrix.scoresAt(vector, this.globalMean + bias, rows, count);
      candidates = rows.subarray(0, count);
    } else {
      scores = this.scoreView(user);
    }
    const idx = new Int32Array(k);
    const val = new Float32Array(k);
    let size = 0;
    // The filters are asked only about items that would enter the K best.
    const consider = (i: number, s: number): void => {
      if (size === k && s <= (val[k - 1] as number)) return;
      if (allowed && allowed[i] === 0) return;
      if (excluded.has(i)) return;
      if (filter && !filter(this.items[i] as string)) return;
      size = insertBest(idx, val, size, k, i, s);
    };
    if (candidates) {
      for (let r = 0; r < candidates.length; r++) consider(candidates[r] as number, scores[r] as number);
    } else {
      for (let i = 0; i < scores.length; i++) consider(i, scores[i] as number);
    }
    return Array.from(idx.subarray(0, size), (i, p) => ({
      item: this.items[i] as string,
      score: val[p] as number,
    }));
  }

  /** Candidate rows at most this many are scored one by one rather than through the index: about what an index query reads. */
  private rowsScoredOneByOne(index: IvfIndex): number {
    return Math.ceil((index.settings.probe * this.items.length) / index.lists);
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
