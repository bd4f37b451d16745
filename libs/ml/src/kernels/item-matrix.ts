// The served form of a recommender's items: one vector and one bias per item, and the scores of all
// items for a user vector (base + bias + dot product), the whole cost of ranking a request.
// When the vector length is a multiple of 4 (the default 32 is) the tables live in WebAssembly memory
// and scores.wat computes them with 128-bit SIMD, four rows at a time; V8 does not vectorise the
// JavaScript loop, which is kept for other lengths and as the reference the kernel is tested against.
import { SCORES_WASM } from './scores.wasm';

let compiled: WebAssembly.Module | undefined;

interface Kernel {
  scores(
    query: number,
    items: number,
    bias: number,
    out: number,
    rows: number,
    stride: number,
    base: number,
  ): void;
}

const PAGE = 65_536;

export class ItemMatrix {
  /** rows × dim, row-major: item i's vector is [i * dim, (i + 1) * dim). */
  readonly vectors: Float32Array;
  readonly bias: Float32Array;
  private readonly out: Float32Array;
  private readonly simd?: {
    kernel: Kernel;
    query: Float32Array;
    offsets: [number, number, number, number];
    padded: number;
  };

  constructor(
    readonly rows: number,
    readonly dim: number,
  ) {
    if (dim % 4 !== 0) {
      this.vectors = new Float32Array(rows * dim);
      this.bias = new Float32Array(rows);
      this.out = new Float32Array(rows);
      return;
    }
    // Rows rounded up to a multiple of 4 (the kernel's step); the padding rows stay zero.
    const padded = Math.ceil(rows / 4) * 4;
    const query = 0;
    const items = query + dim * 4;
    const bias = items + padded * dim * 4;
    const out = bias + padded * 4;
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((out + padded * 4) / PAGE)) });
    compiled ??= new WebAssembly.Module(Buffer.from(SCORES_WASM, 'base64'));
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    this.vectors = new Float32Array(memory.buffer, items, rows * dim);
    this.bias = new Float32Array(memory.buffer, bias, rows);
    this.out = new Float32Array(memory.buffer, out, rows);
    this.simd = {
      kernel: instance.exports as unknown as Kernel,
      query: new Float32Array(memory.buffer, query, dim),
      offsets: [query, items, bias, out],
      padded,
    };
  }

  /** A copy with `rows` rows (at least as many as this one): the first ones copied, the rest zero. */
  grown(rows: number): ItemMatrix {
    const next = new ItemMatrix(rows, this.dim);
    next.vectors.set(this.vectors);
    next.bias.set(this.bias);
    return next;
  }

  /**
   * base + bias[i] + dot(vector, row i) for every row; without a vector, base + bias[i]. The result
   * is a view this matrix reuses: read it before the next call.
   */
  scores(vector: Float32Array | undefined, base: number): Float32Array {
    const { rows, dim, bias, out } = this;
    if (!vector) {
      for (let i = 0; i < rows; i++) out[i] = base + (bias[i] as number);
      return out;
    }
    if (this.simd) {
      const { kernel, query, offsets, padded } = this.simd;
      query.set(vector);
      kernel.scores(offsets[0], offsets[1], offsets[2], offsets[3], padded, dim, base);
      return out;
    }
    return scoresInJs(vector, base, this.vectors, bias, rows, dim, out);
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
