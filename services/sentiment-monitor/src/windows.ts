// Event-time tumbling windows: aligned to the Unix epoch, so every replica and every replay puts a
// record in the same windows. A window [start, end) closes once the ticker's watermark reaches
// end + allowed lateness; nothing can be added to it after that.
import { formatDuration, parseDuration } from './durations';

export interface WindowSize {
  /** Canonical label, e.g. "5m": the key windows are stored and queried by. */
  label: string;
  ms: number;
}

export interface WindowRange {
  size: string;
  start: number;
  end: number;
}

/** "5m,1h" → sizes sorted ascending, duplicates removed; throws naming the bad entry. */
export function parseWindowSizes(spec: string): WindowSize[] {
  const sizes = new Map<number, WindowSize>();
  for (const part of spec.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const ms = parseDuration(part);
    if (ms < 1_000 || ms > 86_400_000) throw new Error(`window "${part}" must be between 1s and 1d`);
    sizes.set(ms, { label: formatDuration(ms), ms });
  }
  if (sizes.size === 0) throw new Error('at least one window size is required, e.g. 5m,1h');
  return [...sizes.values()].sort((a, b) => a.ms - b.ms);
}

export const windowStartOf = (eventTime: number, sizeMs: number): number =>
  Math.floor(eventTime / sizeMs) * sizeMs;

/** The one window of each size that an event time falls in. */
export function assignWindows(eventTime: number, sizes: readonly WindowSize[]): WindowRange[] {
  return sizes.map((size) => {
    const start = windowStartOf(eventTime, size.ms);
    return { size: size.label, start, end: start + size.ms };
  });
}

/** Whether a window can no longer receive records: the watermark passed its end plus the lateness. */
export const isClosable = (windowEnd: number, watermark: number | undefined, latenessMs: number): boolean =>
  watermark !== undefined && watermark >= windowEnd + latenessMs;
