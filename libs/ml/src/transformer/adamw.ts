// AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient, the optimizer
// BERT fine-tuning is defined with, plus the linear warm-up / linear decay schedule and clipping by
// global norm. TF.js ships Adam but neither the decoupled decay nor schedules, so the update is
// written here in a dozen tensor ops; it runs inside tidy() and keeps only its moment variables.
import type { TF } from '../backend';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Variable = import('@tensorflow/tfjs').Variable;

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay: number;
  /** Variables exempt from decay (biases and layer-norm parameters, by BERT's convention). */
  noDecay?: (v: Variable) => boolean;
}

/** Linear warm-up to the peak rate over `warmup` steps, then linear decay to zero at `total`. */
export function warmupLinearDecay(step: number, total: number, warmup: number, peak: number): number {
  if (warmup > 0 && step < warmup) return (peak * (step + 1)) / warmup;
  return peak * Math.max(0, (total - step) / Math.max(1, total - warmup));
}

export class AdamW {
  private readonly m: Variable[];
  private readonly v: Variable[];
  private step = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly decays: boolean[];

  constructor(
    private readonly tf: TF,
    private readonly vars: Variable[],
    private readonly options: AdamWOptions,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-6;
    this.m = vars.map((w) => tf.variable(tf.zerosLike(w), false));
    this.v = vars.map((w) => tf.variable(tf.zerosLike(w), false));
    this.decays = vars.map((w) => !(options.noDecay?.(w) ?? false));
  }

  /** One update with the given learning rate; returns the gradients' global norm before clipping. */
  apply(grads: Tensor[], learningRate: number, clipNorm?: number): number {
    const { tf } = this;
    this.step++;
    const step = this.step;
    return tf.tidy(() => {
      const norm = Math.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0] as number);
      const scale = clipNorm && norm > clipNorm ? clipNorm / norm : 1;
      const c1 = 1 - this.beta1 ** step;
      const c2 = 1 - this.beta2 ** step;
      this.vars.forEach((w, i) => {
        const g = scale === 1 ? (grads[i] as Tensor) : tf.mul(grads[i] as Tensor, scale);
        const m = this.m[i] as Variable;
        const v = this.v[i] as Variable;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon));
        const decayed = this.decays[i] ? tf.mul(w, 1 - learningRate * this.options.weightDecay) : w;
        w.assign(tf.sub(decayed, tf.mul(update, learningRate)));
      });
      return norm;
    });
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((t) => t.dispose());
  }
}
