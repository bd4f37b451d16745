// The served form of a recommender's items: one vector and one bias per item, and the scores of all
// items (or of listed rows) for a user vector (base + bias + dot product), the whole cost of an exact
// ranking. When the vector length is a multiple of 4 (the default 32 is) the tables live in
// WebAssembly memory and scores.wat computes them with 128-bit SIMD, four rows at a time; V8 does not
// vectorise the JavaScript loop, which is kept for other lengths and as the reference the kernel is
// tested against. The matrix has room for more rows than it holds, so items added between retrains
// cost their own rows, not a copy of the catalogue each time.
import { SCORES_WASM } from './scores.wasm';

let compiled: WebAssembly.Module | undefined;

/** The kernels of scores.wat, instantiated over one memory. */
export interface ScoreKernels {
  scores(
    query: number,
    items: number,
    bias: number,
    out: number,
    rows: number,
    stride: number,
    base: number,
  ): void;
  scores_at(
    query: number,
    items: number,
    bias: number,
    out: number,
    rowIds: number,
    count: number,
    stride: number,
    base: number,
  ): void;
  scores_i8_above(
    query: number,
    codes: number,
    scale: number,
    bias: number,
    positions: number,
    out: number,
    rows: number,
    bytes: number,
    qscale: number,
    threshold: number,
  ): number;
}

export const WASM_PAGE = 65_536;

/** A new instance of the kernels over `memory` (the module is compiled once per process). */
export function scoreKernels(memory: WebAssembly.Memory): ScoreKernels {
  compiled ??= new WebAssembly.Module(Buffer.from(SCORES_WASM, 'base64'));
  return new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as ScoreKernels;
}

/** Bytes rounded up to the kernels' 16-byte alignment. */
export const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

interface Simd {
  kernel: ScoreKernels;
  query: Float32Array;
  rowIds: Int32Array;
  offsets: { query: number; items: number; bias: number; out: number; rowIds: number };
}

export class ItemMatrix {
  /** rows × dim, row-major: item i's vector is [i * dim, (i + 1) * dim). */
  vectors: Float32Array;
  bias: Float32Array;
  private out: Float32Array;
  private readonly simd?: Simd;
  private rowCount: number;

  constructor(
    rows: number,
    readonly dim: number,
    /** Rows there is room for; at least `rows`. */
    readonly capacity = rows,
  ) {
    if (capacity < rows) throw new Error(`item matrix: capacity ${capacity} below ${rows} rows`);
    this.rowCount = rows;
    if (dim % 4 !== 0) {
      this.vectors = new Float32Array(new ArrayBuffer(capacity * dim * 4), 0, rows * dim);
      this.bias = new Float32Array(new ArrayBuffer(capacity * 4), 0, rows);
      this.out = new Float32Array(capacity);
      return;
    }
    // Capacity rounded up to a multiple of 4 (the kernel's step); rows past `rows` stay zero.
    const padded = Math.ceil(capacity / 4) * 4;
    const query = 0;
    const items = query + dim * 4;
    const bias = items + padded * dim * 4;
    const out = bias + padded * 4;
    const rowIds = out + padded * 4;
    const memory = new WebAssembly.Memory({
      initial: Math.max(1, Math.ceil((rowIds + padded * 4) / WASM_PAGE)),
    });
    const buffer = memory.buffer;
    this.vectors = new Float32Array(buffer, items, rows * dim);
    this.bias = new Float32Array(buffer, bias, rows);
    this.out = new Float32Array(buffer, out, padded);
    this.simd = {
      kernel: scoreKernels(memory),
      query: new Float32Array(buffer, query, dim),
      rowIds: new Int32Array(buffer, rowIds, padded),
      offsets: { query, items, bias, out, rowIds },
    };
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Bytes the matrix holds (its whole capacity). */
  get bytes(): number {
    return this.capacity * (this.dim + 3) * 4;
  }

  /**
   * A matrix with `rows` rows (at least as many as this one), the existing ones kept and the new ones
   * zero: this one when it has room (its views grow), else a copy with half as much room again.
   */
  resized(rows: number): ItemMatrix {
    if (rows < this.rowCount)
      throw new Error(`item matrix: cannot shrink from ${this.rowCount} to ${rows} rows`);
    if (rows <= this.capacity) {
      this.rowCount = rows;
      this.vectors = new Float32Array(this.vectors.buffer, this.vectors.byteOffset, rows * this.dim);
      this.bias = new Float32Array(this.bias.buffer, this.bias.byteOffset, rows);
      return this;
    }
    const next = new ItemMatrix(rows, this.dim, Math.max(rows, Math.ceil(this.capacity * 1.5)));
    next.vectors.set(this.vectors);
    next.bias.set(this.bias);
    return next;
  }

  /**
   * base + bias[i] + dot(vector, row i) for every row; without a vector, base + bias[i]. The result
   * is a view this matrix reuses: read it before the next call.
   */
  scores(vector: Float32Array | undefined, base: number): Float32Array {
    const { rowCount: rows, dim, bias } = this;
    const out = this.out.subarray(0, rows);
    if (!vector) {
      for (let i = 0; i < rows; i++) out[i] = base + (bias[i] as number);
      return out;
    }
    if (this.simd) {
      const { kernel, query, offsets } = this.simd;
      query.set(vector);
      const padded = Math.ceil(rows / 4) * 4;
      kernel.scores(offsets.query, offsets.items, offsets.bias, offsets.out, padded, dim, base);
      return out;
    }
    return scoresInJs(vector, base, this.vectors, bias, rows, dim, out);
  }

  /**
   * The same scores for the first `count` rows listed in `rowIds` (each below `rows`), in that
   * order: out[k] is row rowIds[k]'s. A view this matrix reuses, like scores().
   */
  scoresAt(
    vector: Float32Array | undefined,
    base: number,
    rowIds: ArrayLike<number>,
    count: number,
  ): Float32Array {
    const { dim, bias } = this;
    if (count > this.out.length)
      throw new Error(`item matrix: ${count} rows asked, room for ${this.out.length}`);
    const out = this.out.subarray(0, count);
    if (!vector) {
      for (let k = 0; k < count; k++) out[k] = base + (bias[rowIds[k] as number] as number);
      return out;
    }
    if (this.simd) {
      const { kernel, query, rowIds: ids, offsets } = this.simd;
      query.set(vector);
      for (let k = 0; k < count; k++) ids[k] = rowIds[k] as number;
      kernel.scores_at(
        offsets.query,
        offsets.items,
        offsets.bias,
        offsets.out,
        offsets.rowIds,
        count,
        dim,
        base,
      );
      return out;
    }
    const vectors = this.vectors;
    for (let k = 0; k < count; k++) {
      const row = rowIds[k] as number;
      let s = 0;
      for (let j = 0, off = row * dim; j < dim; j++)
        s += (vector[j] as number) * (vectors[off + j] as number);
      out[k] = base + (bias[row] as number) + s;
    }
    return out;
  }
}

/** The reference loop: f64 accumulation over the f32 tables, any vector length. */
export function scoresInJs(
  vector: Float32Array,
  base: number,
  vectors: Float32Array,
  bias: Float32Array,
  rows: number,
  dim: number,
  out: Float32Array = new Float32Array(rows),
): Float32Array {
  for (let i = 0, off = 0; i < rows; i++, off += dim) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (vector[j] as number) * (vectors[off + j] as number);
    out[i] = base + (bias[i] as number) + s;
  }
  return out;
}
