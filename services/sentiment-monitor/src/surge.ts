// Surge detection for one window: the share of each direction against the ticker's baseline (its
// EWMA over closed windows, or the prior while there are too few), the z-score, the severity the
// rules give it, and the cooldown that turns one surge into one alert.
import {
  DIRECTIONS,
  severityFor,
  severityRank,
  type AlertRules,
  type Direction,
  type Severity,
} from './alert-rules';
import { zScore, type EwmaState } from './ewma';
import { shareOf, type WindowCounts } from './window-aggregate';

export interface Baseline {
  mean: number;
  std: number;
  /** "prior" until the ticker has rules.baselineMinWindows closed windows of this size. */
  source: 'prior' | 'history';
}

export function baselineOf(state: EwmaState, rules: AlertRules): Baseline {
  if (state.count < rules.baselineMinWindows) return { ...rules.prior, source: 'prior' };
  return { mean: state.mean, std: Math.sqrt(Math.max(0, state.variance)), source: 'history' };
}

export interface DirectionEvaluation {
  direction: Direction;
  share: number;
  baseline: Baseline;
  z: number;
  /** Null when the window does not qualify (direction off, too few records, share or z too low). */
  severity: Severity | null;
}

export function evaluateDirection(
  counts: WindowCounts,
  direction: Direction,
  baseline: Baseline,
  rules: AlertRules,
): DirectionEvaluation {
  const share = shareOf(counts, direction);
  const z = zScore(share, baseline.mean, baseline.std, rules.stdFloor);
  const qualifies =
    rules.directions.includes(direction) && counts.volume >= rules.minVolume && share >= rules.minShare;
  return { direction, share, baseline, z, severity: qualifies ? severityFor(z, rules.thresholds) : null };
}

export function evaluateWindow(
  counts: WindowCounts,
  baselines: Record<Direction, Baseline>,
  rules: AlertRules,
): Record<Direction, DirectionEvaluation> {
  const out = {} as Record<Direction, DirectionEvaluation>;
  for (const d of DIRECTIONS) out[d] = evaluateDirection(counts, d, baselines[d], rules);
  return out;
}

export interface AlertMark {
  alertId: string;
  direction: Direction;
  severity: Severity;
  windowStart: number;
  windowEnd: number;
}

export type CooldownDecision =
  { action: 'raise' } | { action: 'upgrade'; of: string } | { action: 'suppress'; by: string };

/** Event-time distance between two windows: 0 when they overlap or touch. */
const gapBetween = (
  a: { windowStart: number; windowEnd: number },
  b: { windowStart: number; windowEnd: number },
) => Math.max(0, a.windowStart - b.windowEnd, b.windowStart - a.windowEnd);

/**
 * One surge, one alert: an alert of the same ticker and direction whose window is less than the
 * cooldown away (in event time, so replays decide the same) suppresses the candidate, unless the
 * candidate is more severe than every such alert — then it is raised as an upgrade of the strongest.
 */
export function cooldownDecision(
  candidate: { direction: Direction; severity: Severity; windowStart: number; windowEnd: number },
  recent: readonly AlertMark[],
  cooldownMs: number,
): CooldownDecision {
  let strongest: AlertMark | undefined;
  for (const mark of recent) {
    if (mark.direction !== candidate.direction || gapBetween(mark, candidate) >= cooldownMs) continue;
    if (!strongest || severityRank(mark.severity) >= severityRank(strongest.severity)) strongest = mark;
  }
  if (!strongest) return { action: 'raise' };
  if (severityRank(candidate.severity) > severityRank(strongest.severity)) {
    return { action: 'upgrade', of: strongest.alertId };
  }
  return { action: 'suppress', by: strongest.alertId };
}
