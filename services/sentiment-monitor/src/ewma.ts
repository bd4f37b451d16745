// The baseline of a ticker's share of negative (or positive) articles: an exponentially weighted
// mean and variance over its previous closed windows (West's incremental form), and the z-score of a
// new window against it. The state starts from the configured prior, so the first windows move it
// gradually instead of pinning it to whatever the first window happened to be.
export interface EwmaState {
  mean: number;
  variance: number;
  /** Observations folded in so far (closed windows). */
  count: number;
}

export const ewmaFromPrior = (prior: { mean: number; std: number }): EwmaState => ({
  mean: prior.mean,
  variance: prior.std * prior.std,
  count: 0,
});

export function ewmaUpdate(state: EwmaState, x: number, alpha: number): EwmaState {
  const diff = x - state.mean;
  const increment = alpha * diff;
  return {
    mean: state.mean + increment,
    variance: (1 - alpha) * (state.variance + diff * increment),
    count: state.count + 1,
  };
}

/** z = (x − mean) / max(std, floor): the floor keeps a very steady baseline from making noise look huge. */
export const zScore = (x: number, mean: number, std: number, floor: number): number =>
  (x - mean) / Math.max(std, floor);
