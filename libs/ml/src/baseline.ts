// The floor every sentiment model must beat: TF-IDF over word uni/bigrams and character 2-5-grams
// within word boundaries (scikit-learn's `char_wb`), sublinear term frequency, each block
// L2-normalized, and a one-vs-rest squared-hinge linear SVM trained by dual coordinate descent
// (Hsieh et al. 2008: what LIBLINEAR and scikit-learn's LinearSVC run, with its default C = 1). Written here because no maintained npm package offers sparse
// linear SVMs; it is a benchmark row, not a served model. Pure TypeScript, sparse throughout.
import type { LabeledText } from './datasets';
import { SENTIMENT_LABELS } from './datasets';
import { seededShuffle } from '@mercato/synthetic';

interface SparseRow {
  indices: Int32Array;
  values: Float32Array;
}

export interface LinearBaselineOptions {
  /** Minimum number of training texts a feature must occur in. */
  minDf: number;
  /** SVM cost: larger fits the training data harder. */
  c: number;
  epochs: number;
  seed: number;
}

const DEFAULTS: LinearBaselineOptions = { minDf: 2, c: 1, epochs: 30, seed: 1 };

function features(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}$#@%']+|[^\s\p{L}\p{N}]/gu) ?? [];
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    out.push(`w:${words[i]}`);
    if (i + 1 < words.length) out.push(`w:${words[i]} ${words[i + 1]}`);
  }
  for (const w of words) {
    const padded = ` ${w} `;
    for (let n = 2; n <= 5; n++)
      for (let i = 0; i + n <= padded.length; i++) out.push(`c:${padded.slice(i, i + n)}`);
  }
  return out;
}

export class LinearTextBaseline {
  private readonly isChar: Uint8Array;

  private constructor(
    private readonly vocabulary: Map<string, number>,
    private readonly idf: Float32Array,
    /** One weight vector (plus bias as the last entry) per class. */
    private readonly weights: Float32Array[],
  ) {
    this.isChar = new Uint8Array(vocabulary.size);
    for (const [f, i] of vocabulary) this.isChar[i] = f.startsWith('c:') ? 1 : 0;
  }

  static fit(data: LabeledText[], options: Partial<LinearBaselineOptions> = {}): LinearTextBaseline {
    const opts = { ...DEFAULTS, ...options };
    const grams = data.map((d) => features(d.text));
    const df = new Map<string, number>();
    for (const g of grams) for (const f of new Set(g)) df.set(f, (df.get(f) ?? 0) + 1);
    const vocabulary = new Map<string, number>();
    for (const [f, n] of [...df].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
      if (n >= opts.minDf) vocabulary.set(f, vocabulary.size);
    const idf = new Float32Array(vocabulary.size);
    for (const [f, i] of vocabulary) idf[i] = Math.log((1 + data.length) / (1 + (df.get(f) as number))) + 1;
    const model = new LinearTextBaseline(vocabulary, idf, []);
    const rows = grams.map((g) => model.vectorize(g));
    const dim = vocabulary.size + 1;
    for (let c = 0; c < SENTIMENT_LABELS.length; c++) {
      const y = data.map((d) => (d.label === c ? 1 : -1));
      model.weights.push(dualCoordinateDescent(rows, y, dim, opts, opts.seed + c));
    }
    return model;
  }

  private vectorize(grams: string[]): SparseRow {
    const counts = new Map<number, number>();
    for (const g of grams) {
      const i = this.vocabulary.get(g);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const indices = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
    const values = new Float32Array(indices.length);
    // Word and character features are normalized as two blocks, as a union of two vectorizers is.
    const norms = [0, 0];
    indices.forEach((i, k) => {
      const v = (1 + Math.log(counts.get(i) as number)) * (this.idf[i] as number);
      values[k] = v;
      norms[this.isChar[i] as number] += v * v;
    });
    const scale = norms.map((n) => 1 / (Math.sqrt(n) || 1));
    indices.forEach((i, k) => {
      values[k] = (values[k] as number) * (scale[this.isChar[i] as number] as number);
    });
    return { indices, values };
  }

  predictLabels(texts: string[]): number[] {
    return texts.map((text) => {
      const row = this.vectorize(features(text));
      let best = 0;
      let bestScore = -Infinity;
      this.weights.forEach((w, c) => {
        const score = dot(w, row) + (w[w.length - 1] as number);
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      });
      return best;
    });
  }
}

function dot(w: Float32Array, row: SparseRow): number {
  let s = 0;
  for (let k = 0; k < row.indices.length; k++)
    s += (w[row.indices[k] as number] as number) * (row.values[k] as number);
  return s;
}

/** L2-regularized L2-loss (squared hinge) SVM in the dual, with a bias feature of value 1. */
function dualCoordinateDescent(
  rows: SparseRow[],
  y: number[],
  dim: number,
  opts: LinearBaselineOptions,
  seed: number,
): Float32Array {
  const w = new Float32Array(dim);
  const alpha = new Float64Array(rows.length);
  // Squared hinge: no upper bound on alpha, and 1 / (2C) on the diagonal.
  const diagonal = 1 / (2 * opts.c);
  const qii = rows.map((r) => r.values.reduce((s, v) => s + v * v, 0) + 1 + diagonal);
  const order = rows.map((_, i) => i);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    let maxChange = 0;
    for (const i of seededShuffle(order, seed * 1_000 + epoch)) {
      const row = rows[i] as SparseRow;
      const yi = y[i] as number;
      const a = alpha[i] as number;
      const g = yi * (dot(w, row) + (w[dim - 1] as number)) - 1 + diagonal * a;
      const projected = a === 0 ? Math.min(g, 0) : g;
      if (projected === 0) continue;
      const next = Math.max(a - g / (qii[i] as number), 0);
      const delta = (next - a) * yi;
      alpha[i] = next;
      for (let k = 0; k < row.indices.length; k++) {
        const j = row.indices[k] as number;
        w[j] = (w[j] as number) + delta * (row.values[k] as number);
      }
      w[dim - 1] = (w[dim - 1] as number) + delta;
      maxChange = Math.max(maxChange, Math.abs(projected));
    }
    if (maxChange < 1e-3) break;
  }
  return w;
}
