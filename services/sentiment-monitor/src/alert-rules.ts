// Surge rules: which directions alert, how much evidence each severity needs, the fewest articles
// and the smallest share an alert may rest on, the cooldown, and the window alerts are reported in.
// A rules document is `{ defaults, tickers: { <ticker>: overrides } }` with every field optional.
// The deployment's document (ALERT_RULES) applies to every tenant; a tenant's own document (set
// through the rules API, versioned) is laid over the deployment's defaults and replaces its
// per-ticker overrides. Validation names every bad field (`defaults.minVolume`, `tickers.TSLA.window`).
import { z } from '@mercato/config';
import { TICKER_PATTERN, TICKER_RULE } from '@mercato/contracts';
import { formatDuration, parseDuration } from './durations';

export const DIRECTIONS = ['negative', 'positive'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Ascending: a later entry is more severe. */
export const SEVERITIES = ['low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity | null): number => (s === null ? -1 : SEVERITIES.indexOf(s));

export interface AlertRules {
  directions: Direction[];
  /** Fewest articles the evidence of an alert may rest on. */
  minVolume: number;
  /** Smallest share of the direction among those articles. */
  minShare: number;
  /**
   * Evidence (the natural log of the likelihood ratio of a surge against the baseline) each severity
   * needs on a ticker with at most one article per horizon; busier tickers need more (README).
   */
  evidence: Record<Severity, number>;
  /** The share of the direction among a surge's articles that the test is tuned to (its alternative). */
  surgeShare: number;
  /**
   * The share of a partial surge (a company's bad results bring neutral reports too): a second test
   * tuned to it runs beside the first, with 1 nat more evidence to pass; equal to surgeShare: none.
   */
  partialShare: number;
  /** Event time after which evidence has faded to 1/e: a surge is news arriving together. */
  horizonMs: number;
  /** Event-time gap under which a second alert of the same ticker and direction is the same surge. */
  cooldownMs: number;
  /** The window size alerts are reported in: one of the configured WINDOWS. */
  window: string;
}

/** What a desk gets without configuring anything (the bench's figures are for these). */
export const defaultRules = (windowSizes: readonly string[]): AlertRules => ({
  directions: ['negative', 'positive'],
  minVolume: 4,
  minShare: 0.6,
  evidence: { low: 2.5, medium: 5, high: 8 },
  surgeShare: 1,
  partialShare: 0.6,
  horizonMs: 60 * 60_000,
  cooldownMs: 30 * 60_000,
  window: windowSizes[0] as string,
});

/** One problem with a rules document: where (`defaults.minVolume`) and why. */
export interface RuleIssue {
  field: string;
  reason: string;
}

const RETIRED: Record<string, string> = {
  thresholds: 'z-score thresholds were replaced by "evidence" (log likelihood ratio per severity)',
  prior: 'the fixed prior was replaced by the tenant’s market prior, learned from its tickers',
  stdFloor: 'the z-score floor no longer exists: the surge test accounts for volume itself',
  baselineMinWindows: 'baselines lean on the market prior until the ticker has history; nothing to set',
};

const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const ruleOverride = (windowSizes: readonly string[]) =>
  z
    .object({
      directions: z.array(z.enum(DIRECTIONS)).min(1, 'must name at least one direction'),
      minVolume: z.number().int('must be a whole number').min(1, 'must be at least 1'),
      minShare: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'),
      evidence: z
        .object({
          low: z.number().positive('must be positive'),
          medium: z.number().positive('must be positive'),
          high: z.number().positive('must be positive'),
        })
        .partial()
        .strict(),
      surgeShare: z.number().gt(0, 'must be between 0 and 1').lte(1, 'must be between 0 and 1'),
      partialShare: z.number().gt(0, 'must be between 0 and 1').lte(1, 'must be between 0 and 1'),
      horizon: duration.refine((ms) => ms >= 60_000 && ms <= 86_400_000, 'must be between 1m and 1d'),
      cooldown: duration,
      window: z.string().transform((text, ctx) => {
        let label = text;
        try {
          label = formatDuration(parseDuration(text));
        } catch {
          // not a duration: reported below as not configured
        }
        if (windowSizes.includes(label)) return label;
        ctx.addIssue({
          code: 'custom',
          message: `must be one of the configured windows: ${windowSizes.join(', ')}`,
        });
        return z.NEVER;
      }),
    })
    .partial()
    .strict();
type RuleOverride = z.output<ReturnType<typeof ruleOverride>>;

export interface RulesDocument {
  defaults: RuleOverride;
  tickers: Record<string, RuleOverride>;
}

export const rulesDocument = (windowSizes: readonly string[]) =>
  z
    .object({
      defaults: ruleOverride(windowSizes).default({}),
      tickers: z
        .record(z.string().regex(TICKER_PATTERN, TICKER_RULE), ruleOverride(windowSizes))
        .refine((t) => Object.keys(t).length <= 10_000, 'at most 10,000 tickers')
        .default({}),
    })
    .strict();

function issuesOf(error: z.ZodError): RuleIssue[] {
  const out: RuleIssue[] = [];
  for (const issue of error.issues) {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          field: at === '' ? key : `${at}.${key}`,
          reason: RETIRED[key] ? `unknown field: ${RETIRED[key]}` : 'unknown field',
        });
      }
      continue;
    }
    // A bad record key (a ticker) carries the key's own problem inside.
    const reason = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    out.push({ field: at === '' ? '(rules)' : at, reason });
  }
  return out;
}

function merge(base: AlertRules, o: RuleOverride): AlertRules {
  return {
    directions: o.directions ?? base.directions,
    minVolume: o.minVolume ?? base.minVolume,
    minShare: o.minShare ?? base.minShare,
    evidence: { ...base.evidence, ...o.evidence },
    surgeShare: o.surgeShare ?? base.surgeShare,
    partialShare: o.partialShare ?? base.partialShare,
    horizonMs: o.horizon ?? base.horizonMs,
    cooldownMs: o.cooldown ?? base.cooldownMs,
    window: o.window ?? base.window,
  };
}

function orderIssues(rules: AlertRules, where: string): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const { low, medium, high } = rules.evidence;
  if (!(low <= medium && medium <= high))
    issues.push({
      field: `${where}.evidence`,
      reason: `expected low ≤ medium ≤ high, got ${low}, ${medium}, ${high}`,
    });
  if (rules.partialShare > rules.surgeShare)
    issues.push({
      field: `${where}.partialShare`,
      reason: `must not exceed surgeShare (${rules.surgeShare}), got ${rules.partialShare}`,
    });
  return issues;
}

/** The rules in effect for each ticker of one tenant, and the version they come from. */
export class AlertRuleBook {
  constructor(
    readonly defaults: AlertRules,
    private readonly overrides: ReadonlyMap<string, AlertRules> = new Map(),
    /** 0: the deployment's rules; n: the tenant's own document, version n. */
    readonly version = 0,
  ) {}

  for(ticker: string): AlertRules {
    return this.overrides.get(ticker) ?? this.defaults;
  }

  /** Tickers with their own rules. */
  get tickers(): string[] {
    return [...this.overrides.keys()];
  }
}

/** A parsed rules document, or every problem with where it is. */
export function validateRules(
  raw: unknown,
  windowSizes: readonly string[],
): { ok: true; document: RulesDocument } | { ok: false; issues: RuleIssue[] } {
  const parsed = rulesDocument(windowSizes).safeParse(raw);
  if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error) };
  return { ok: true, document: parsed.data };
}

/**
 * The rule book of a document laid over `base` (the built-in defaults, or the deployment's
 * defaults for a tenant's document); the thresholds must not decrease with severity, nor the
 * partial share exceed the surge share, once merged.
 */
export function ruleBook(
  document: RulesDocument,
  base: AlertRules,
  version = 0,
): { ok: true; book: AlertRuleBook } | { ok: false; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  const defaults = merge(base, document.defaults);
  issues.push(...orderIssues(defaults, 'defaults'));
  const overrides = new Map<string, AlertRules>();
  for (const [ticker, override] of Object.entries(document.tickers)) {
    const rules = merge(defaults, override);
    issues.push(...orderIssues(rules, `tickers.${ticker}`));
    overrides.set(ticker, rules);
  }
  return issues.length > 0
    ? { ok: false, issues }
    : { ok: true, book: new AlertRuleBook(defaults, overrides, version) };
}

const describe = (issues: readonly RuleIssue[]): string =>
  issues.map((i) => `${i.field}: ${i.reason}`).join('; ');

/**
 * The deployment's rules from ALERT_RULES, e.g.
 * `{"defaults": {"minVolume": 8}, "tickers": {"TSLA": {"evidence": {"high": 8}, "cooldown": "1h"}}}`.
 * Throws with every problem and where it is.
 */
export function parseAlertRules(json: string | undefined, windowSizes: readonly string[]): AlertRuleBook {
  const base = defaultRules(windowSizes);
  if (json === undefined || json.trim() === '') return new AlertRuleBook(base);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  const validated = validateRules(raw, windowSizes);
  if (!validated.ok) throw new Error(describe(validated.issues));
  const built = ruleBook(validated.document, base);
  if (!built.ok) throw new Error(describe(built.issues));
  return built.book;
}

/** A rules field as the API shows it: durations as labels again. */
export interface RulesView {
  directions: Direction[];
  minVolume: number;
  minShare: number;
  evidence: Record<Severity, number>;
  surgeShare: number;
  partialShare: number;
  horizon: string;
  cooldown: string;
  window: string;
}

export const rulesView = (r: AlertRules): RulesView => ({
  directions: r.directions,
  minVolume: r.minVolume,
  minShare: r.minShare,
  evidence: r.evidence,
  surgeShare: r.surgeShare,
  partialShare: r.partialShare,
  horizon: formatDuration(r.horizonMs),
  cooldown: formatDuration(r.cooldownMs),
  window: r.window,
});

/** The most severe level whose threshold the evidence reaches, or null. */
export function severityFor(evidence: number, thresholds: Record<Severity, number>): Severity | null {
  for (let i = SEVERITIES.length - 1; i >= 0; i--) {
    const level = SEVERITIES[i] as Severity;
    if (evidence >= thresholds[level]) return level;
  }
  return null;
}
