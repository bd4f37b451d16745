// The service's counting and surge detection over in-memory state: what WindowAggregationService
// keeps in Postgres (watermarks, windows, detectors, market priors, alerts) kept in maps, and the
// same planBatch / decideAlerts / computeMarketPrior calls. The unit tests and the alert-quality
// bench (bench/alert-quality.ts) replay streams through it, so they measure the detector the
// service runs, not a copy of it.
import type { AlertRuleBook } from './alert-rules';
import type { NewAlert } from './alert.repository';
import { computeMarketPrior, DEFAULT_MARKET_PRIOR, type MarketPrior } from './baseline';
import {
  decideAlerts,
  planBatch,
  type AlertDecisions,
  type BatchPlan,
  type PlanSettings,
} from './batch-plan';
import type { ModelConfusion } from './confusion';
import { tickerKey, type LateRow, type StoredWindow } from './sentiment-window.repository';
import type { AlertMark, DetectorState } from './surge';
import type { Observation } from './window-aggregate';

export interface ReplayOptions {
  rules: (tenantId: string) => AlertRuleBook;
  confusion: (modelVersion: string, tenantId: string) => ModelConfusion;
  /** The wall clock batches are judged at (records further ahead are "future"); default: no limit. */
  now?: number;
}

export class DetectorReplay {
  readonly watermarks = new Map<string, number | undefined>();
  /** Every window, open and closed, by tickerKey/size/start. */
  readonly windows = new Map<string, StoredWindow>();
  readonly detectors = new Map<string, DetectorState>();
  readonly priors = new Map<string, MarketPrior>();
  readonly alerts: NewAlert[] = [];
  readonly late: LateRow[] = [];
  private readonly marks = new Map<string, AlertMark[]>();
  private readonly open = new Map<string, StoredWindow>();

  constructor(
    private readonly settings: PlanSettings,
    private readonly options: ReplayOptions,
  ) {}

  /** One batch, as the service counts it: plan, apply, then the cooldown against the alerts so far. */
  run(observations: readonly Observation[]): { plan: BatchPlan; decisions: AlertDecisions } {
    // What the transaction would lock: the batch's tickers' open windows and detectors, as copies.
    const clone = <T>(x: T): T => structuredClone(x);
    const tickers = new Set(observations.map((o) => tickerKey(o)));
    const plan = planBatch(
      {
        observations,
        watermarks: this.watermarks,
        openWindows: [...this.open.values()].filter((w) => tickers.has(tickerKey(w))).map(clone),
        detectors: new Map(
          [...tickers].flatMap((k) => {
            const state = this.detectors.get(k);
            return state ? [[k, clone(state)] as const] : [];
          }),
        ),
        prior: (tenantId) => this.priors.get(tenantId) ?? DEFAULT_MARKET_PRIOR,
        rules: this.options.rules,
        confusion: this.options.confusion,
        now: this.options.now ?? Number.MAX_SAFE_INTEGER,
      },
      this.settings,
    );
    for (const w of plan.windows) {
      const key = `${tickerKey(w)}/${w.size}/${w.start}`;
      this.windows.set(key, w);
      if (w.closed) this.open.delete(key);
      else this.open.set(key, w);
    }
    for (const d of plan.detectors) this.detectors.set(tickerKey(d), d.state);
    for (const w of plan.watermarks)
      this.watermarks.set(
        tickerKey(w),
        Math.max(w.watermark, this.watermarks.get(tickerKey(w)) ?? -Infinity),
      );
    this.late.push(...plan.late);
    const decisions = decideAlerts(plan.candidates, this.marks);
    for (const a of decisions.alerts) {
      this.alerts.push(a);
      const key = tickerKey(a);
      this.marks.set(key, [
        ...(this.marks.get(key) ?? []),
        {
          alertId: a.alertId,
          direction: a.direction,
          severity: a.severity,
          windowStart: a.windowStart,
          windowEnd: a.windowEnd,
        },
      ]);
    }
    return { plan, decisions };
  }

  /** Recomputes every tenant's market prior from its tickers' baselines (the service's refresher). */
  refreshPriors(): void {
    const byTenant = new Map<string, DetectorState[]>();
    for (const [key, state] of this.detectors) {
      const tenantId = key.slice(0, key.indexOf('\u0000'));
      byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), state]);
    }
    for (const [tenantId, states] of byTenant)
      this.priors.set(
        tenantId,
        computeMarketPrior(
          states.map((s) => s.baseline),
          (version) => this.options.confusion(version, tenantId).matrix,
        ),
      );
  }

  window(tenantId: string, ticker: string, size: string, start: number): StoredWindow | undefined {
    return this.windows.get(`${tickerKey({ tenantId, ticker })}/${size}/${start}`);
  }

  detector(tenantId: string, ticker: string): DetectorState | undefined {
    return this.detectors.get(tickerKey({ tenantId, ticker }));
  }
}
