// Sublinear top-K over a recommender's items: an inverted-file index (IVF) with 8-bit codes and
// exact re-ranking, our own, over the WebAssembly kernels of scores.wat.
// - Scores are inner products plus a bias (base + bias_i + q·v_i). The items are mapped to
//   x̃_i = [v_i, bias_i, sqrt(M² − |v_i|² − bias_i²)] (M the largest norm), where the best score is
//   the nearest neighbour of the query [q, 1, 0] (Bachrach et al., RecSys 2014), and clustered by
//   k-means on a seeded sample into `lists` cells.
// - A query scores the cells' centroids, then the items of the `probe` nearest cells from their
//   int8 codes (one scale per item, the query in int16, the dot product exact in int32: four times
//   less memory to read than the float vectors), keeps the best `rerank` candidates that pass the
//   filters, and scores those exactly from the float vectors: the answer's scores are exact.
// - A query without a vector (popularity: the biases alone) reads the rows in bias order instead,
//   which is exact.
// - Filters (a row mask, excluded rows, a predicate) are applied while scanning, so a filtered query
//   never comes back short: cells are read until K candidates passed or every cell was. A query
//   limited to a subset (a category) skips the cells without any of it and reads until it has read
//   subsetWiden times the subset's rows that `probe` average cells hold; a mask that lets only a share of the items
//   through (availability) widens the probe by that share.
// - Items added after the build (new catalogue items between retrains) go to their nearest cell at
//   once, scored from their float vectors; past a share of the catalogue the codes are laid out
//   again, with the same centroids. A retrain builds a new index.
import { seededRandom } from '@mercato/synthetic';
import { insertBest } from './best-k';
import { align16, scoreKernels, WASM_PAGE, type ItemMatrix, type ScoreKernels } from './kernels/item-matrix';

export interface IvfSettings {
  /** Cells; 0 = chosen from the size: listsPerSqrt × √items. */
  lists: number;
  listsPerSqrt: number;
  /** Cells read per query (more for masks that let only a share of the items through). */
  probe: number;
  /** Candidates scored exactly at the end. */
  rerank: number;
  /**
   * A query limited to a subset (a category) reads cells, best first among those holding some of it,
   * until it has read this many times the subset's rows that `probe` average cells hold (never more
   * of them than an unfiltered query reads rows).
   */
  subsetWiden: number;
  /** k-means iterations, on a sample of samplePerList items per cell. */
  iterations: number;
  samplePerList: number;
  seed: number;
}

export const DEFAULT_IVF_SETTINGS: IvfSettings = {
  lists: 0,
  listsPerSqrt: 1,
  probe: 24,
  rerank: 64,
  subsetWiden: 4,
  iterations: 8,
  samplePerList: 32,
  seed: 7,
};

/** What a query may return, by row. */
export interface RowFilter {
  /** 0 for rows never to return (unavailable items); rows past its end pass. */
  allowed?: Uint8Array;
  /** The share of rows `allowed` lets through (the probe widens by it); 1 when absent. */
  allowedShare?: number;
  /**
   * Only these rows (ascending; e.g. one category's items) may be returned. The index reads cells
   * that hold some of them, until it has read as many of them as an unfiltered query reads rows.
   */
  withinRows?: Int32Array;
  excluded?: ReadonlySet<number>;
  accept?: (row: number) => boolean;
}

/** Re-laid out once items added since the build pass this share of the indexed ones (or 1,024). */
const RELAYOUT_SHARE = 0.05;
const RELAYOUT_MIN = 1_024;
/** An index with cells chosen from its size is outgrown once it indexes this many times the rows it was built over. */
const REBUILD_GROWTH = 2;
/** A mask never widens the probe more than this many times. */
const MAX_WIDEN = 64;

interface Layout {
  memory: WebAssembly.Memory;
  kernel: ScoreKernels;
  at: {
    query16: number;
    centroidQuery: number;
    centroids: number;
    centroidBias: number;
    centroidOut: number;
    codes: number;
    scale: number;
    bias: number;
    positions: number;
    out: number;
  };
  query16: Int16Array;
  centroidQuery: Float32Array;
  centroidOut: Float32Array;
  codes: Int8Array;
  scale: Float32Array;
  bias: Float32Array;
  /** What scores_i8_above writes: positions in the cell, and their scores from out[4] on. */
  positions: Int32Array;
  out: Float32Array;
  /** Position → row, cell after cell (-1 in the padding that starts each cell on a multiple of 4). */
  order: Int32Array;
  /** Cell c's rows are at positions [start[c], start[c] + size[c]). */
  start: Int32Array;
  size: Int32Array;
  /** Rows laid out (the rest are pending in their cells). */
  rows: number;
  /** The laid-out rows with the highest biases, highest first: what a query without a vector reads. */
  byBias: Int32Array;
}

/** Rows kept in bias order for queries without a vector (popularity). */
const BY_BIAS = 65_536;

export class IvfIndex {
  private layout: Layout;
  /** Row → cell, for every row indexed (laid out or pending). */
  private cellOf: Int32Array;
  private indexed: number;
  /** Rows at the build. */
  private readonly builtRows: number;
  /** Rows added since the layout, per cell. */
  private pending: number[][];
  private pendingCount = 0;
  private readonly centroids: Float32Array;
  private readonly centroidBias: Float32Array;
  private readonly maxNorm2: number;
  private readonly cstride: number;
  private readonly bytes: number;
  private readonly cellQueue: CellQueue;
  private readonly subsets = new WeakMap<
    Int32Array,
    { mask: Uint8Array; counts: Int32Array; size: number }
  >();
  /** The search's candidates (a heap on the approximate score) and the order of their exact scores. */
  private poolRows: Int32Array;
  private poolScores: Float32Array;
  private picked: Int32Array;

  private constructor(
    private readonly dim: number,
    readonly lists: number,
    private current: IvfSettings,
    centroids: Float32Array,
    cellOf: Int32Array,
    maxNorm2: number,
    matrix: ItemMatrix,
  ) {
    this.cstride = Math.ceil((dim + 2) / 4) * 4;
    this.bytes = align16(dim);
    this.centroids = centroids;
    this.centroidBias = new Float32Array(lists);
    for (let c = 0; c < lists; c++) {
      let s = 0;
      for (let j = 0; j < this.cstride; j++) s += (centroids[c * this.cstride + j] as number) ** 2;
      this.centroidBias[c] = -s / 2;
    }
    this.maxNorm2 = maxNorm2;
    this.cellOf = cellOf;
    this.indexed = matrix.rows;
    this.builtRows = matrix.rows;
    this.pending = Array.from({ length: lists }, () => []);
    this.layout = this.lay(matrix);
    this.cellQueue = new CellQueue(lists);
    this.poolRows = new Int32Array(current.rerank);
    this.poolScores = new Float32Array(current.rerank);
    this.picked = new Int32Array(current.rerank);
  }

  get settings(): Readonly<IvfSettings> {
    return this.current;
  }

  /**
   * How much a query reads from now on: `probe` cells (at least 1, at most the cells), and
   * `subsetWiden` times as many for a query limited to a subset. The recall/latency trade-off needs
   * no rebuild (RecommenderModel.buildIndex chooses both by measuring recall).
   */
  setReach(reach: { probe?: number; subsetWiden?: number }): void {
    const { probe = this.current.probe, subsetWiden = this.current.subsetWiden } = reach;
    if (!(Number.isInteger(probe) && probe >= 1 && subsetWiden > 0))
      throw new Error(
        `index settings: probe must be an integer of at least 1, subsetWiden above 0 (${probe}, ${subsetWiden})`,
      );
    this.current = { ...this.current, probe: Math.min(probe, this.lists), subsetWiden };
  }

  /**
   * Clusters the matrix's rows and lays out their codes. Throws (naming the row) on a vector or bias
   * that is not finite: such an index would rank nothing correctly.
   */
  static build(matrix: ItemMatrix, options: Partial<IvfSettings> = {}): IvfIndex {
    const settings = { ...DEFAULT_IVF_SETTINGS, ...options };
    const { rows: n, dim } = matrix;
    if (n === 0) throw new Error('no items to index');
    if (!(
      settings.probe >= 1 &&
      settings.rerank >= 1 &&
      settings.iterations >= 0 &&
      settings.subsetWiden > 0
    ))
      throw new Error(
        `index settings: probe and rerank must be at least 1, subsetWiden above 0 (${settings.probe}, ${settings.rerank}, ${settings.subsetWiden})`,
      );
    const vectors = matrix.vectors;
    const bias = matrix.bias;
    let maxNorm2 = 0;
    for (let i = 0; i < n; i++) {
      let s = (bias[i] as number) ** 2;
      for (let j = i * dim; j < (i + 1) * dim; j++) s += (vectors[j] as number) ** 2;
      if (!Number.isFinite(s)) throw new NonFiniteRowError(i);
      if (s > maxNorm2) maxNorm2 = s;
    }
    const lists = Math.max(
      1,
      Math.min(n, settings.lists || Math.round(settings.listsPerSqrt * Math.sqrt(n))),
    );
    const cstride = Math.ceil((dim + 2) / 4) * 4;
    const augmented = (row: number, out: Float32Array, at: number): void => {
      let s = (bias[row] as number) ** 2;
      for (let j = 0; j < dim; j++) {
        const v = vectors[row * dim + j] as number;
        out[at + j] = v;
        s += v * v;
      }
      out[at + dim] = bias[row] as number;
      out[at + dim + 1] = Math.sqrt(Math.max(0, maxNorm2 - s));
    };
    // A seeded sample (partial Fisher–Yates) to cluster; the first `lists` of it seed the centroids.
    const random = seededRandom(settings.seed);
    const sampleSize = Math.min(n, Math.max(lists, lists * settings.samplePerList));
    const picks = new Int32Array(n);
    for (let i = 0; i < n; i++) picks[i] = i;
    for (let i = 0; i < sampleSize; i++) {
      const j = i + Math.floor(random() * (n - i));
      const t = picks[i] as number;
      picks[i] = picks[j] as number;
      picks[j] = t;
    }
    const sample = new Float32Array(sampleSize * cstride);
    for (let s = 0; s < sampleSize; s++) augmented(picks[s] as number, sample, s * cstride);
    const centroids = new Float32Array(lists * cstride);
    centroids.set(sample.subarray(0, lists * cstride));
    const nearest = new NearestCentroid(centroids, lists, cstride);
    const assignment = new Int32Array(sampleSize);
    const sums = new Float64Array(lists * cstride);
    const counts = new Int32Array(lists);
    for (let iter = 0; iter < settings.iterations; iter++) {
      sums.fill(0);
      counts.fill(0);
      for (let s = 0; s < sampleSize; s++) {
        const c = nearest.find(sample, s * cstride);
        assignment[s] = c;
        counts[c] = (counts[c] as number) + 1;
        for (let j = 0; j < cstride; j++)
          sums[c * cstride + j] = (sums[c * cstride + j] as number) + (sample[s * cstride + j] as number);
      }
      for (let c = 0; c < lists; c++) {
        const count = counts[c] as number;
        if (count > 0) {
          for (let j = 0; j < cstride; j++)
            centroids[c * cstride + j] = (sums[c * cstride + j] as number) / count;
        } else {
          // An empty cell restarts on a random sample point.
          const s = Math.floor(random() * sampleSize);
          centroids.set(sample.subarray(s * cstride, (s + 1) * cstride), c * cstride);
        }
      }
      nearest.update(centroids);
    }
    const cellOf = new Int32Array(Math.max(16, n));
    const point = new Float32Array(cstride);
    for (let i = 0; i < n; i++) {
      augmented(i, point, 0);
      cellOf[i] = nearest.find(point, 0);
    }
    return new IvfIndex(dim, lists, settings, centroids, cellOf, maxNorm2, matrix);
  }

  /** Rows the index covers. */
  get rows(): number {
    return this.indexed;
  }

  /**
   * Whether the cells, chosen from the size (lists 0), were chosen for under 1/REBUILD_GROWTH of the
   * rows indexed now: each cell then holds that many times the rows a query was meant to read.
   */
  get outgrown(): boolean {
    return this.settings.lists === 0 && this.indexed >= REBUILD_GROWTH * this.builtRows;
  }

  /** Bytes held: codes, scales, biases, the layout and the centroids. */
  get memoryBytes(): number {
    return (
      this.layout.memory.buffer.byteLength +
      this.layout.order.byteLength +
      this.layout.start.byteLength * 2 +
      this.layout.byBias.byteLength +
      this.cellOf.byteLength +
      this.pendingCount * 8
    );
  }

  /** Rows added since the last layout, read exactly until the next one. */
  get pendingRows(): number {
    return this.pendingCount;
  }

  /**
   * Indexes the matrix's rows from `rows` on (items added to it since): each goes to its nearest cell.
   * Throws (naming the row) on a vector that is not finite, before indexing any of them.
   */
  add(matrix: ItemMatrix): void {
    const { dim } = this;
    const from = this.indexed;
    const to = matrix.rows;
    if (to <= from) return;
    const { vectors, bias } = matrix;
    for (let i = from; i < to; i++) {
      let s = (bias[i] as number) ** 2;
      for (let j = i * dim; j < (i + 1) * dim; j++) s += (vectors[j] as number) ** 2;
      if (!Number.isFinite(s)) throw new NonFiniteRowError(i);
    }
    if (to > this.cellOf.length) {
      const grown = new Int32Array(Math.max(to, Math.ceil(this.cellOf.length * 1.5)));
      grown.set(this.cellOf);
      this.cellOf = grown;
    }
    const nearest = new NearestCentroid(this.centroids, this.lists, this.cstride);
    const point = new Float32Array(this.cstride);
    for (let i = from; i < to; i++) {
      let s = (bias[i] as number) ** 2;
      for (let j = 0; j < dim; j++) {
        const v = vectors[i * dim + j] as number;
        point[j] = v;
        s += v * v;
      }
      point[dim] = bias[i] as number;
      point[dim + 1] = Math.sqrt(Math.max(0, this.maxNorm2 - s));
      const c = nearest.find(point, 0);
      this.cellOf[i] = c;
      (this.pending[c] as number[]).push(i);
    }
    this.pendingCount += to - from;
    this.indexed = to;
    if (this.pendingCount > Math.max(RELAYOUT_MIN, this.layout.rows * RELAYOUT_SHARE)) {
      this.layout = this.lay(matrix);
      this.pending = Array.from({ length: this.lists }, () => []);
      this.pendingCount = 0;
    }
  }

  /**
   * The K best rows for a query vector (none: the biases alone), best first, with their exact scores
   * (base + bias + dot), every one passing the filter; fewer only when fewer rows pass it at all.
   */
  search(
    matrix: ItemMatrix,
    vector: Float32Array | undefined,
    base: number,
    k: number,
    filter: RowFilter = {},
  ): { rows: Int32Array; scores: Float32Array } {
    const { layout, dim, lists } = this;
    if (vector && vector.length !== dim)
      throw new Error(`query has ${vector.length} dimensions, the index ${dim}`);
    const want = Math.max(k, Math.min(this.settings.rerank, this.indexed));
    if (want > this.poolRows.length) {
      this.poolRows = new Int32Array(want);
      this.poolScores = new Float32Array(want);
      this.picked = new Int32Array(want);
    }
    if (!vector) {
      const found = this.searchByBias(matrix, base, k, filter);
      if (found) return found;
    }
    this.scoreCells(vector);
    // The query in int16 (its largest component at 32767): approximate scores need no base.
    let amax = 0;
    if (vector) for (let j = 0; j < dim; j++) amax = Math.max(amax, Math.abs(vector[j] as number));
    const qscale = amax > 0 ? amax / 32767 : 0;
    layout.query16.fill(0);
    if (vector && amax > 0)
      for (let j = 0; j < dim; j++) layout.query16[j] = Math.round((vector[j] as number) / qscale);
    const { allowed, excluded, accept } = filter;
    const within = filter.withinRows ? this.subset(filter.withinRows) : undefined;
    // An unfiltered query reads `probe` cells; one limited to a subset reads cells until it has read
    // subsetWiden × probe cells' worth of the subset's rows; a mask that lets a share through widens
    // the probe by it.
    const share = Math.max(filter.allowedShare ?? 1, 1 / MAX_WIDEN);
    const { probe, subsetWiden } = this.settings;
    const budget =
      (probe * Math.min(this.indexed, within ? subsetWiden * within.size : this.indexed)) / lists / share;
    const cells = this.cellQueue;
    cells.start(
      layout.centroidOut.subarray(0, lists),
      within?.counts,
      2 * Math.ceil(this.settings.probe / share),
    );
    // The candidates: a min-heap on the approximate score, the worst at the root.
    const poolRows = this.poolRows;
    const poolScores = this.poolScores;
    let size = 0;
    const offer = (row: number, s: number): void => {
      if (size === want && s <= (poolScores[0] as number)) return;
      if (allowed && allowed[row] === 0) return;
      if (within && within.mask[row] !== 1) return;
      if (excluded?.has(row)) return;
      if (accept && !accept(row)) return;
      if (size < want) {
        let i = size++;
        while (i > 0) {
          const parent = (i - 1) >> 1;
          if ((poolScores[parent] as number) <= s) break;
          poolRows[i] = poolRows[parent] as number;
          poolScores[i] = poolScores[parent] as number;
          i = parent;
        }
        poolRows[i] = row;
        poolScores[i] = s;
        return;
      }
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        const child = r < size && (poolScores[r] as number) < (poolScores[l] as number) ? r : l;
        if ((poolScores[child] as number) >= s) break;
        poolRows[i] = poolRows[child] as number;
        poolScores[i] = poolScores[child] as number;
        i = child;
      }
      poolRows[i] = row;
      poolScores[i] = s;
    };
    const { kernel, at, order, start, size: sizes, positions, out } = layout;
    const vectors = matrix.vectors;
    const bias = matrix.bias;
    let read = 0;
    for (let cell = cells.next(); cell >= 0; cell = cells.next()) {
      const first = start[cell] as number;
      const count = sizes[cell] as number;
      const pending = this.pending[cell] as number[];
      const relevant = within ? (within.counts[cell] as number) : count + pending.length;
      if (relevant === 0) continue;
      if (count > 0) {
        // Only rows above the pool's worst candidate come back from the kernel.
        const found = kernel.scores_i8_above(
          at.query16,
          at.codes + first * this.bytes,
          at.scale + first * 4,
          at.bias + first * 4,
          at.positions,
          at.out,
          Math.ceil(count / 4) * 4,
          this.bytes,
          qscale,
          size === want ? (poolScores[0] as number) : -Infinity,
        );
        for (let f = 0; f < found; f++)
          offer(order[first + (positions[f] as number)] as number, out[4 + f] as number);
      }
      for (const row of pending) {
        let s = bias[row] as number;
        if (vector)
          for (let j = 0, off = row * dim; j < dim; j++)
            s += (vector[j] as number) * (vectors[off + j] as number);
        offer(row, s);
      }
      read += relevant;
      // Past the budget, further cells are read only while fewer than K candidates passed.
      if (read >= budget && size >= k) break;
    }
    // Exact scores of the candidates, then the K best.
    const exact = matrix.scoresAt(vector, base, poolRows, size);
    const taken = Math.min(k, size);
    const picked = this.picked;
    const rows = new Int32Array(taken);
    const scores = new Float32Array(taken);
    let m = 0;
    for (let c = 0; c < size; c++) m = insertBest(picked, scores, m, taken, c, exact[c] as number);
    for (let p = 0; p < taken; p++) rows[p] = poolRows[picked[p] as number] as number;
    return { rows, scores };
  }

  /**
   * A query without a vector ranks by bias alone, which no partition of the vectors follows: the rows
   * in bias order are read until K pass the filter (with the rows added since the layout). Exact;
   * undefined when the filter passes too few of the rows kept in that order.
   */
  private searchByBias(
    matrix: ItemMatrix,
    base: number,
    k: number,
    filter: RowFilter,
  ): { rows: Int32Array; scores: Float32Array } | undefined {
    const { allowed, excluded, accept } = filter;
    const within = filter.withinRows ? this.subset(filter.withinRows) : undefined;
    const passes = (row: number): boolean =>
      !(allowed && allowed[row] === 0) &&
      !(within && within.mask[row] !== 1) &&
      !excluded?.has(row) &&
      !(accept && !accept(row));
    const bias = matrix.bias;
    const found: number[] = [];
    const { byBias } = this.layout;
    for (let p = 0; p < byBias.length && found.length < k; p++) {
      const row = byBias[p] as number;
      if (passes(row)) found.push(row);
    }
    if (found.length < k && byBias.length < this.layout.rows) return undefined;
    // Rows added since the layout (up to RELAYOUT_SHARE of the indexed ones): only those whose bias
    // reaches the K-th found can enter, so only those are filtered and sorted.
    const floor = found.length >= k ? (bias[found[k - 1] as number] as number) : -Infinity;
    for (const cell of this.pending)
      for (const row of cell) if ((bias[row] as number) >= floor && passes(row)) found.push(row);
    found.sort((a, b) => (bias[b] as number) - (bias[a] as number) || a - b);
    const rows = Int32Array.from(found.slice(0, k));
    return { rows, scores: Float32Array.from(rows, (row) => base + (bias[row] as number)) };
  }

  /** Each cell's score for the query [q, 1, 0]: how near its centroid is, into centroidOut. */
  private scoreCells(vector: Float32Array | undefined): void {
    const { layout, dim, lists } = this;
    const q = layout.centroidQuery;
    q.fill(0);
    if (vector) q.set(vector);
    q[dim] = 1;
    const { kernel, at } = layout;
    kernel.scores(
      at.centroidQuery,
      at.centroids,
      at.centroidBias,
      at.centroidOut,
      Math.ceil(lists / 4) * 4,
      this.cstride,
      0,
    );
  }

  /**
   * A subset of rows as a mask and a count per cell; kept while the list is (a category's rows are
   * asked for again and again), and valid for good: a row's cell never changes in an index.
   */
  private subset(rows: Int32Array): { mask: Uint8Array; counts: Int32Array; size: number } {
    let found = this.subsets.get(rows);
    if (!found) {
      const mask = new Uint8Array(this.indexed);
      const counts = new Int32Array(this.lists);
      let size = 0;
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r] as number;
        if (row >= this.indexed) continue;
        mask[row] = 1;
        counts[this.cellOf[row] as number]++;
        size++;
      }
      found = { mask, counts, size };
      this.subsets.set(rows, found);
    }
    return found;
  }

  /** Codes, scales and biases of every indexed row, cell after cell, in a fresh memory. */
  private lay(matrix: ItemMatrix): Layout {
    const { dim, lists, cstride, bytes } = this;
    const rows = this.indexed;
    const size = new Int32Array(lists);
    for (let i = 0; i < rows; i++) size[this.cellOf[i] as number]++;
    // Each cell starts on a multiple of 4 positions: the kernel reads four rows at a time.
    const start = new Int32Array(lists);
    let positions = 0;
    let largest = 0;
    for (let c = 0; c < lists; c++) {
      start[c] = positions;
      const padded = Math.ceil((size[c] as number) / 4) * 4;
      positions += padded;
      largest = Math.max(largest, padded);
    }
    const padded = Math.ceil(lists / 4) * 4;
    const at = {
      query16: 0,
      centroidQuery: 0,
      centroids: 0,
      centroidBias: 0,
      centroidOut: 0,
      codes: 0,
      scale: 0,
      bias: 0,
      positions: 0,
      out: 0,
    };
    let end = 0;
    const take = (size: number): number => {
      const offset = end;
      end += align16(size);
      return offset;
    };
    at.query16 = take(bytes * 2);
    at.centroidQuery = take(cstride * 4);
    at.centroids = take(padded * cstride * 4);
    at.centroidBias = take(padded * 4);
    at.centroidOut = take(padded * 4);
    at.codes = take(positions * bytes);
    at.scale = take(positions * 4);
    at.bias = take(positions * 4);
    at.positions = take(Math.max(4, largest) * 4);
    at.out = take((4 + Math.max(4, largest)) * 4);
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(end / WASM_PAGE)) });
    const buffer = memory.buffer;
    new Float32Array(buffer, at.centroids, lists * cstride).set(this.centroids);
    new Float32Array(buffer, at.centroidBias, lists).set(this.centroidBias);
    const codes = new Int8Array(buffer, at.codes, positions * bytes);
    const scale = new Float32Array(buffer, at.scale, positions);
    const biasOut = new Float32Array(buffer, at.bias, positions);
    // Padding rows never pass a threshold.
    biasOut.fill(-Infinity);
    const order = new Int32Array(positions).fill(-1);
    const next = start.slice();
    const { vectors, bias } = matrix;
    for (let i = 0; i < rows; i++) {
      const c = this.cellOf[i] as number;
      const p = next[c] as number;
      next[c] = p + 1;
      order[p] = i;
      let amax = 0;
      for (let j = 0; j < dim; j++) amax = Math.max(amax, Math.abs(vectors[i * dim + j] as number));
      scale[p] = amax / 127;
      biasOut[p] = bias[i] as number;
      if (amax > 0)
        for (let j = 0; j < dim; j++)
          codes[p * bytes + j] = Math.round(((vectors[i * dim + j] as number) / amax) * 127);
    }
    // The highest biases: a threshold from the sorted biases, then those rows in order.
    let byBias: Int32Array;
    if (rows <= BY_BIAS) {
      byBias = Int32Array.from({ length: rows }, (_, i) => i);
    } else {
      const floor = Float32Array.from(bias.subarray(0, rows)).sort()[rows - BY_BIAS] as number;
      const top: number[] = [];
      for (let i = 0; i < rows; i++) if ((bias[i] as number) >= floor) top.push(i);
      byBias = Int32Array.from(top);
    }
    byBias.sort((a, b) => (bias[b] as number) - (bias[a] as number) || a - b);
    return {
      memory,
      kernel: scoreKernels(memory),
      at,
      query16: new Int16Array(buffer, at.query16, bytes),
      centroidQuery: new Float32Array(buffer, at.centroidQuery, cstride),
      centroidOut: new Float32Array(buffer, at.centroidOut, padded),
      codes,
      scale,
      bias: biasOut,
      positions: new Int32Array(buffer, at.positions, Math.max(4, largest)),
      out: new Float32Array(buffer, at.out, 4 + Math.max(4, largest)),
      order,
      start,
      size,
      rows,
      byBias,
    };
  }
}

/** A row whose vector or bias is not a finite number. */
export class NonFiniteRowError extends Error {
  constructor(readonly row: number) {
    super(`row ${row} has a vector or bias that is not a finite number`);
    this.name = 'NonFiniteRowError';
  }
}

/** The nearest centroid of a point (largest x·c − |c|²/2), with the f32 kernel over the centroids. */
class NearestCentroid {
  private readonly kernel: ScoreKernels;
  private readonly view: {
    query: Float32Array;
    centroids: Float32Array;
    bias: Float32Array;
    out: Float32Array;
  };
  private readonly at: { query: number; centroids: number; bias: number; out: number };
  private readonly padded: number;

  constructor(
    centroids: Float32Array,
    private readonly lists: number,
    private readonly stride: number,
  ) {
    this.padded = Math.ceil(lists / 4) * 4;
    const query = 0;
    const rows = align16(stride * 4);
    const bias = rows + this.padded * stride * 4;
    const out = bias + this.padded * 4;
    const memory = new WebAssembly.Memory({
      initial: Math.max(1, Math.ceil((out + this.padded * 4) / WASM_PAGE)),
    });
    this.kernel = scoreKernels(memory);
    this.at = { query, centroids: rows, bias, out };
    const buffer = memory.buffer;
    this.view = {
      query: new Float32Array(buffer, query, stride),
      centroids: new Float32Array(buffer, rows, lists * stride),
      bias: new Float32Array(buffer, bias, lists),
      out: new Float32Array(buffer, out, lists),
    };
    this.update(centroids);
  }

  update(centroids: Float32Array): void {
    const { stride } = this;
    this.view.centroids.set(centroids);
    for (let c = 0; c < this.lists; c++) {
      let s = 0;
      for (let j = 0; j < stride; j++) s += (centroids[c * stride + j] as number) ** 2;
      this.view.bias[c] = -s / 2;
    }
  }

  find(points: Float32Array, at: number): number {
    this.view.query.set(points.subarray(at, at + this.stride));
    this.kernel.scores(
      this.at.query,
      this.at.centroids,
      this.at.bias,
      this.at.out,
      this.padded,
      this.stride,
      0,
    );
    const out = this.view.out;
    let best = 0;
    let bestScore = out[0] as number;
    for (let c = 1; c < this.lists; c++) {
      const s = out[c] as number;
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    return best;
  }
}

/**
 * The cells best first, selected in batches (a partial selection of the best `first`, which is what
 * almost every query reads, then batches four times larger for filtered queries that read on).
 * Cells without any row of a subset (`counts` 0) are left out. Ties go to the lower cell. The
 * buffers are the index's own, reused by every query.
 */
class CellQueue {
  private readonly cells: Int32Array;
  private readonly best: Float32Array;
  private scores: Float32Array;
  private counts: Int32Array | undefined;
  private batch = 0;
  private size = 0;
  private taken = 0;
  private done = false;

  constructor(lists: number) {
    this.cells = new Int32Array(lists);
    this.best = new Float32Array(lists);
    this.scores = this.best;
  }

  start(scores: Float32Array, counts: Int32Array | undefined, first: number): void {
    this.scores = scores;
    this.counts = counts;
    this.batch = Math.min(this.cells.length, first);
    this.done = false;
    this.select(Infinity, -1);
  }

  /** The next cell, or -1 after the last. */
  next(): number {
    if (this.taken === this.size) {
      if (this.done) return -1;
      this.batch = Math.min(this.cells.length, this.batch * 4);
      this.select(this.best[this.size - 1] as number, this.cells[this.size - 1] as number);
      if (this.size === 0) return -1;
    }
    return this.cells[this.taken++] as number;
  }

  /** The best `batch` cells after (afterScore, afterCell) in the order. */
  private select(afterScore: number, afterCell: number): void {
    const { scores, counts, cells, best } = this;
    const want = this.batch;
    let size = 0;
    let later = 0;
    for (let c = 0; c < scores.length; c++) {
      if (counts && counts[c] === 0) continue;
      const s = scores[c] as number;
      if (s > afterScore || (s === afterScore && c <= afterCell)) continue;
      later++;
      size = insertBest(cells, best, size, want, c, s);
    }
    this.size = size;
    this.taken = 0;
    this.done = later === size;
  }
}
