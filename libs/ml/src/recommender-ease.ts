// EASE (H. Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): an item-item
// model in closed form, the strongest simple baseline of the recommender bench. With X the binary
// user × item matrix of the training interactions, P = (XᵀX + λI)⁻¹ and B = I − P·diag(1/diag P)
// (so B's diagonal is zero), a user's scores are x_u·B. When there are fewer users than items the
// inverse comes from the users' side instead (Woodbury: P = (I − Xᵀ(λI + XXᵀ)⁻¹X) / λ), so the
// matrix to invert is min(users, items) wide; it is inverted in float64 through its Cholesky factor.
// The model keeps the scores of the users it was fitted on: it is a baseline for evaluation (the
// same RecommenderScorer the evaluation runs on every model), not a model the services serve.
import type { TF } from './backend';
import type { Interaction } from './recommender';
import type { RecommenderScorer } from './recommender-eval';

/** The largest side the closed form inverts (min(users, items)): a 5,000² float64 matrix is 200 MB. */
export const EASE_MAX_SIDE = 5_000;

export class EaseModel implements RecommenderScorer {
  private constructor(
    private readonly users: Map<string, number>,
    private readonly items: Map<string, number>,
    private readonly itemIds: string[],
    /** users × items, row-major: each training user's score of every item. */
    private readonly scores: Float32Array,
    readonly lambda: number,
  ) {}

  /** Fits EASE on the interactions (each user–item pair counts once, whatever its value). */
  static fit(tf: TF, interactions: readonly Interaction[], lambda: number): EaseModel {
    if (!(lambda > 0)) throw new Error(`EASE: lambda must be positive (got ${lambda})`);
    const users = new Map<string, number>();
    const items = new Map<string, number>();
    for (const r of interactions) {
      if (!users.has(r.user)) users.set(r.user, users.size);
      if (!items.has(r.item)) items.set(r.item, items.size);
    }
    const m = users.size;
    const n = items.size;
    if (m === 0) throw new Error('EASE: no interactions');
    if (Math.min(m, n) > EASE_MAX_SIDE)
      throw new Error(
        `EASE: ${m} users × ${n} items; the closed form inverts min(users, items) ≤ ${EASE_MAX_SIDE} wide`,
      );
    const x = new Float32Array(m * n);
    for (const r of interactions) x[(users.get(r.user) as number) * n + (items.get(r.item) as number)] = 1;
    const scores = tf.tidy(() => {
      const X = tf.tensor2d(x, [m, n]);
      const dual = m < n;
      const gram = dual ? tf.matMul(X, X, false, true) : tf.matMul(X, X, true, false);
      const side = dual ? m : n;
      const a = Float64Array.from(gram.dataSync());
      for (let i = 0; i < side; i++) a[i * side + i] = (a[i * side + i] as number) + lambda;
      const inverse = tf.tensor2d(Float32Array.from(spdInverse(a, side)), [side, side]);
      let XP: import('@tensorflow/tfjs').Tensor;
      let diag: import('@tensorflow/tfjs').Tensor;
      if (dual) {
        // P = (I − Xᵀ K X) / λ with K = (λI + XXᵀ)⁻¹: X·P = (X − XXᵀ·K·X) / λ, diag P = (1 − Σ_u (KX)∘X) / λ.
        const KX = tf.matMul(inverse, X);
        XP = tf.div(tf.sub(X, tf.matMul(gram, KX)), lambda);
        diag = tf.div(tf.sub(1, tf.sum(tf.mul(KX, X), 0)), lambda);
      } else {
        XP = tf.matMul(X, inverse);
        diag = tf.sum(tf.mul(inverse, tf.eye(n)), 0);
      }
      // x_u·B = x_u − (x_u·P) / diag P.
      return tf.sub(X, tf.div(XP, diag));
    });
    const values = Float32Array.from(scores.dataSync() as Float32Array);
    scores.dispose();
    return new EaseModel(users, items, [...items.keys()], values, lambda);
  }

  scoreItems(user: string, items: string[]): Float32Array {
    const u = this.users.get(user);
    const n = this.itemIds.length;
    return Float32Array.from(items, (item) => {
      const i = this.items.get(item);
      // An item unseen in training has an empty column: every user scores it 0.
      return u === undefined || i === undefined ? 0 : (this.scores[u * n + i] as number);
    });
  }

  topK(user: string, k: number, exclude: Set<string>): string[] {
    const u = this.users.get(user);
    if (u === undefined) return [];
    const n = this.itemIds.length;
    return Array.from({ length: n }, (_, i) => i)
      .filter((i) => !exclude.has(this.itemIds[i] as string))
      .sort((a, b) => (this.scores[u * n + b] as number) - (this.scores[u * n + a] as number) || a - b)
      .slice(0, k)
      .map((i) => this.itemIds[i] as string);
  }
}

/** The inverse of a symmetric positive definite matrix (row-major, float64) through its Cholesky factor. */
export function spdInverse(a: Float64Array, n: number): Float64Array {
  const l = Float64Array.from(a);
  for (let j = 0; j < n; j++) {
    let s = l[j * n + j] as number;
    for (let k = 0; k < j; k++) s -= (l[j * n + k] as number) ** 2;
    if (!(s > 0)) throw new Error('spdInverse: the matrix is not positive definite');
    const pivot = Math.sqrt(s);
    l[j * n + j] = pivot;
    for (let i = j + 1; i < n; i++) {
      let t = l[i * n + j] as number;
      for (let k = 0; k < j; k++) t -= (l[i * n + k] as number) * (l[j * n + k] as number);
      l[i * n + j] = t / pivot;
    }
  }
  // L⁻¹ (lower triangular), then A⁻¹ = L⁻ᵀ·L⁻¹.
  const li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    li[i * n + i] = 1 / (l[i * n + i] as number);
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= (l[i * n + k] as number) * (li[k * n + j] as number);
      li[i * n + j] = s / (l[i * n + i] as number);
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += (li[k * n + i] as number) * (li[k * n + j] as number);
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  return out;
}
