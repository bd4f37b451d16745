// Delay before the next webhook attempt: exponential from a base, capped, with "equal jitter" (half
// fixed, half random) so receivers recovering from an outage are not hit by every sender at once.
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
