// Surge rules as configuration: global defaults plus per-ticker overrides, from ALERT_RULES (a JSON
// string, or a file through ALERT_RULES_FILE). Every field is optional; what is left out comes from
// the defaults below. Thresholds must not decrease with severity once merged.
import { z } from '@mercato/config';
import { TICKER_PATTERN, TICKER_RULE } from '@mercato/contracts';
import { parseDuration } from './durations';

export const DIRECTIONS = ['negative', 'positive'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Ascending: a later entry is more severe. */
export const SEVERITIES = ['low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export interface AlertRules {
  /** Fewest records a window needs before it can alert. */
  minVolume: number;
  /** Smallest z for each severity. */
  thresholds: Record<Severity, number>;
  /** Smallest share of the direction, whatever the z (a quiet ticker going from 2% to 10% is not news). */
  minShare: number;
  directions: Direction[];
  /** Event-time gap under which a second alert of the same ticker and direction is the same surge. */
  cooldownMs: number;
  /** Closed windows needed before the ticker's own baseline replaces the prior. */
  baselineMinWindows: number;
  prior: { mean: number; std: number };
  /** Lower bound of the deviation in z = (share − mean) / max(std, stdFloor). */
  stdFloor: number;
}

export const DEFAULT_RULES: AlertRules = {
  minVolume: 5,
  thresholds: { low: 2, medium: 3, high: 4 },
  minShare: 0.5,
  directions: ['negative', 'positive'],
  cooldownMs: 30 * 60_000,
  baselineMinWindows: 3,
  prior: { mean: 0.25, std: 0.1 },
  stdFloor: 0.05,
};

const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const RuleOverride = z
  .object({
    minVolume: z.number().int().min(1),
    thresholds: z
      .object({ low: z.number().positive(), medium: z.number().positive(), high: z.number().positive() })
      .partial()
      .strict(),
    minShare: z.number().min(0).max(1),
    directions: z.array(z.enum(DIRECTIONS)),
    cooldown: duration,
    baselineMinWindows: z.number().int().min(0),
    prior: z
      .object({ mean: z.number().min(0).max(1), std: z.number().positive() })
      .partial()
      .strict(),
    stdFloor: z.number().positive(),
  })
  .partial()
  .strict();
type RuleOverride = z.output<typeof RuleOverride>;

const RulesDocument = z
  .object({
    defaults: RuleOverride.default({}),
    tickers: z.record(z.string().regex(TICKER_PATTERN, TICKER_RULE), RuleOverride).default({}),
  })
  .strict();

function merge(base: AlertRules, o: RuleOverride): AlertRules {
  return {
    minVolume: o.minVolume ?? base.minVolume,
    thresholds: { ...base.thresholds, ...o.thresholds },
    minShare: o.minShare ?? base.minShare,
    directions: o.directions ?? base.directions,
    cooldownMs: o.cooldown ?? base.cooldownMs,
    baselineMinWindows: o.baselineMinWindows ?? base.baselineMinWindows,
    prior: { ...base.prior, ...o.prior },
    stdFloor: o.stdFloor ?? base.stdFloor,
  };
}

function checkOrder(rules: AlertRules, where: string): void {
  const { low, medium, high } = rules.thresholds;
  if (!(low <= medium && medium <= high)) {
    throw new Error(`${where}.thresholds: expected low ≤ medium ≤ high, got ${low}, ${medium}, ${high}`);
  }
}

/** The rules in effect for each ticker. */
export class AlertRuleBook {
  constructor(
    readonly defaults: AlertRules,
    private readonly overrides: ReadonlyMap<string, AlertRules> = new Map(),
  ) {}

  for(ticker: string): AlertRules {
    return this.overrides.get(ticker) ?? this.defaults;
  }

  /** Tickers with their own rules. */
  get tickers(): string[] {
    return [...this.overrides.keys()];
  }
}

/**
 * Parses the ALERT_RULES document, e.g.
 * `{"defaults": {"minVolume": 8}, "tickers": {"TSLA": {"thresholds": {"high": 5}, "cooldown": "1h"}}}`.
 * Throws with every problem and where it is.
 */
export function parseAlertRules(json: string | undefined): AlertRuleBook {
  if (json === undefined || json.trim() === '') return new AlertRuleBook(DEFAULT_RULES);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  const parsed = RulesDocument.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  }
  const defaults = merge(DEFAULT_RULES, parsed.data.defaults);
  checkOrder(defaults, 'defaults');
  const overrides = new Map<string, AlertRules>();
  for (const [ticker, override] of Object.entries(parsed.data.tickers)) {
    const rules = merge(defaults, override);
    checkOrder(rules, `tickers.${ticker}`);
    overrides.set(ticker, rules);
  }
  return new AlertRuleBook(defaults, overrides);
}

/** The most severe level whose threshold z reaches, or null. */
export function severityFor(z: number, thresholds: Record<Severity, number>): Severity | null {
  for (let i = SEVERITIES.length - 1; i >= 0; i--) {
    const level = SEVERITIES[i] as Severity;
    if (z >= thresholds[level]) return level;
  }
  return null;
}
