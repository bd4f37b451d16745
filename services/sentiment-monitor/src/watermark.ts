// Lateness against a per-ticker watermark (the largest event time seen). Records are taken in their
// partition order and the watermark advances as they come, so the outcome does not depend on how the
// stream was cut into batches: a record is late when it is more than the allowed lateness behind the
// watermark left by every record before it.
export interface LateRecord<T> {
  item: T;
  /** The watermark the record was judged against. */
  watermark: number;
}

export interface Classified<T> {
  onTime: T[];
  late: LateRecord<T>[];
  /** The watermark after every record (undefined only when there was none and no record). */
  watermark: number | undefined;
}

export function classifyByWatermark<T>(
  items: readonly T[],
  eventTime: (item: T) => number,
  watermark: number | undefined,
  latenessMs: number,
): Classified<T> {
  const onTime: T[] = [];
  const late: LateRecord<T>[] = [];
  let current = watermark;
  for (const item of items) {
    const t = eventTime(item);
    if (current !== undefined && t < current - latenessMs) {
      late.push({ item, watermark: current });
      continue;
    }
    onTime.push(item);
    if (current === undefined || t > current) current = t;
  }
  return { onTime, late, watermark: current };
}
