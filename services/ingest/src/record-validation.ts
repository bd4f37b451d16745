// The field rules every ingest record shares (text that is real Unicode, identifiers, timestamps with
// a time zone and sane bounds) and the mapping of zod issues to `{ field, reason }` pairs that a
// client can act on without reading our logs.
import { z } from '@mercato/config';

export interface FieldIssue {
  field: string;
  reason: string;
}

/** Length in Unicode code points (what a client means by "characters"), not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a string is not acceptable text, or undefined when it is. */
export function textProblem(s: string, options: { identifier?: boolean } = {}): string | undefined {
  // A lone surrogate cannot be encoded as UTF-8 (it would reach Kafka as U+FFFD). In a /u regex a
  // paired surrogate is one code point, so \p{Cs} matches only unpaired ones.
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate (not valid Unicode text)';
  // U+FFFD is what a decoder leaves where bytes were not valid text: the content is already damaged.
  if (s.includes('\ufffd')) return 'contains U+FFFD (a replacement character left by a broken text encoding)';
  if (s.includes('\u0000')) return 'contains a NUL character';
  if (options.identifier && CONTROL.test(s)) return 'contains control characters';
  return undefined;
}

export interface TextOptions {
  min?: number;
  max: number;
  /** Identifiers (ids, sources) may not hold control characters; they become Kafka keys and headers. */
  identifier?: boolean;
  /** Reject text that is empty once whitespace is removed. */
  nonBlank?: boolean;
}

export function text(options: TextOptions): z.ZodString {
  const min = options.min ?? 0;
  return z.string({ error: 'expected a string' }).check((ctx) => {
    const length = codePointLength(ctx.value);
    if (length < min || length > options.max) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message:
          min === options.max
            ? `must be ${min} characters`
            : length < min
              ? min === 1
                ? 'must not be empty'
                : `must be at least ${min} characters (got ${length})`
              : `must be at most ${options.max} characters (got ${length})`,
      });
      return;
    }
    if (options.nonBlank && ctx.value.trim() === '') {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: 'must not be blank' });
      return;
    }
    const problem = textProblem(ctx.value, options);
    if (problem) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem });
  });
}

/** A point in time with its nanoseconds, as protobuf's Timestamp holds it. */
export interface Instant {
  seconds: bigint;
  nanos: number;
  /** Millisecond precision, for comparisons. */
  date: Date;
}

const EARLIEST = Date.UTC(1990, 0, 1);

export interface TimestampOptions {
  maxFutureSkewS: number;
  now: () => Date;
}

/**
 * ISO-8601 with a time zone (`Z` or `±hh:mm`), fractional seconds to the nanosecond, not before
 * 1990-01-01 and not more than the allowed skew in the future.
 */
export function timestamp(options: TimestampOptions) {
  return z
    .string({ error: 'expected an ISO-8601 timestamp string' })
    .check((ctx) => {
      if (!z.iso.datetime({ offset: true }).safeParse(ctx.value).success) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: 'expected an ISO-8601 timestamp with a time zone, e.g. 2024-05-01T13:45:00Z or +02:00',
        });
        return;
      }
      const at = Date.parse(ctx.value);
      const latest = options.now().getTime() + options.maxFutureSkewS * 1000;
      if (at > latest)
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: `is more than ${options.maxFutureSkewS} s in the future`,
        });
      else if (at < EARLIEST)
        ctx.issues.push({ code: 'custom', input: ctx.value, message: 'is before 1990-01-01' });
    })
    .transform((value): Instant => toInstant(value));
}

/** An already validated ISO-8601 timestamp as seconds + nanoseconds (Date alone keeps only ms). */
export function toInstant(value: string): Instant {
  const date = new Date(Date.parse(value));
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  const nanos = Number(fraction.slice(0, 9).padEnd(9, '0'));
  const seconds = BigInt(Math.floor(date.getTime() / 1000));
  return { seconds, nanos, date };
}

export function instantFromDate(date: Date): Instant {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000, date };
}

/** The issue's path as a client names the field: `tickers[3]`, `body`. */
export function fieldName(path: readonly PropertyKey[]): string {
  let field = '';
  for (const key of path) {
    if (typeof key === 'number') field += `[${key}]`;
    else field += field === '' ? String(key) : `.${String(key)}`;
  }
  return field;
}

/** Whether the input has a property at the path (zod does not report the input of an issue). */
function present(input: unknown, path: readonly PropertyKey[]): boolean {
  let at: unknown = input;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return false;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at !== undefined;
}

export function issuesOf(error: z.ZodError, input: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        issues.push({ field: fieldName([...issue.path, key]), reason: 'unknown field' });
    } else if (issue.code === 'invalid_type' && !present(input, issue.path)) {
      issues.push({ field: fieldName(issue.path) || '(record)', reason: 'is required' });
    } else {
      issues.push({ field: fieldName(issue.path) || '(record)', reason: issue.message });
    }
  }
  return issues;
}

/** Validates one record of a batch: its value, or every problem with the field it concerns. */
export function validateRecord<S extends z.ZodType>(
  schema: S,
  value: unknown,
): { ok: true; value: z.output<S> } | { ok: false; errors: FieldIssue[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, errors: [{ field: '(record)', reason: 'expected a JSON object' }] };
  const result = schema.safeParse(value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, errors: issuesOf(result.error, value) };
}

/** The `id`-like field of a rejected record, echoed back when it is a usable string. */
export function echoId(value: unknown, field: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as Record<string, unknown>)[field];
  return typeof id === 'string' && id.length <= 200 && textProblem(id, { identifier: true }) === undefined
    ? id
    : null;
}
