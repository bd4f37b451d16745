// Durations as operators write them in configuration ("30s", "5m", "1h", "1d"), and back: window
// sizes are stored and shown by their canonical label, so "60m" and "1h" are the same window.
const UNITS: [suffix: string, ms: number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

const PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/** Milliseconds of "<integer><ms|s|m|h|d>"; throws with the reason otherwise. */
export function parseDuration(text: string): number {
  const match = PATTERN.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration (expected e.g. 30s, 5m, 1h, 1d)`);
  const unit = UNITS.find(([suffix]) => suffix === match[2]);
  return Number(match[1]) * (unit as [string, number])[1];
}

/** The shortest exact label of a duration: 300000 → "5m", 5400000 → "90m". */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`cannot format ${ms} ms as a duration`);
  for (const [suffix, unit] of UNITS) {
    if (ms > 0 && ms % unit === 0) return `${ms / unit}${suffix}`;
  }
  return '0ms';
}
