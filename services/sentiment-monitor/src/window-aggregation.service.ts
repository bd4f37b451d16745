// Counts a batch of scored records exactly once, in one transaction: claim the event ids (only the
// ones never seen are counted), lock the tickers' watermarks, open windows and surge detectors, plan
// the batch (batch-plan.ts), write windows, detectors, late records and watermarks, and insert the
// alerts the cooldown lets through with their webhook deliveries. A crash anywhere before COMMIT
// leaves nothing; a redelivery after COMMIT finds every event id taken and changes nothing. Before
// the transaction, the tenants' current rules and the scoring versions' confusion are read (from
// caches, the registry only for a version not seen before), so no lock waits on HTTP.
import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@mercato/db';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import type { AlertRuleBook } from './alert-rules';
import { AlertRulesService } from './alert-rules.service';
import { AlertSignals } from './alert-signals';
import { completingObservation, traceAlertRaised } from './alert-trace';
import { AlertRepository, type AlertRecord } from './alert.repository';
import type { MarketPrior } from './baseline';
import {
  cooldownHorizon,
  decideAlerts,
  planBatch,
  type PlanSettings,
  type SurgeCandidate,
} from './batch-plan';
import { ModelConfusionService } from './model-confusion.service';
import type { MonitorConfig } from './monitor.config';
import { monitorMetrics } from './monitor-metrics';
import { SentimentWindowRepository, tickerKey, type TickerKey } from './sentiment-window.repository';
import type { Observation } from './window-aggregate';
import { WebhookRepository } from './webhook.repository';

/** Where a record came from: its broker timestamp (ms) and the W3C trace context it carried. */
export interface RecordOrigin {
  brokerTime: number;
  traceparent?: string;
}

export interface BatchOutcome {
  received: number;
  duplicates: number;
  counted: number;
  late: number;
  windowsUpdated: number;
  alerts: AlertRecord[];
}

@Injectable()
export class WindowAggregationService {
  private readonly settings: PlanSettings;

  constructor(
    private readonly db: Database,
    private readonly windows: SentimentWindowRepository,
    private readonly alerts: AlertRepository,
    private readonly webhooks: WebhookRepository,
    private readonly signals: AlertSignals,
    private readonly rules: AlertRulesService,
    private readonly confusion: ModelConfusionService,
    @Inject(SERVICE_CONFIG) config: MonitorConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.settings = {
      sizes: config.WINDOWS,
      latenessMs: config.ALLOWED_LATENESS,
      maxFutureSkewMs: config.MAX_FUTURE_SKEW,
      baseline: { memoryArticles: config.BASELINE_MEMORY_ARTICLES },
    };
  }

  /**
   * Counts the records (in partition order). Their origins (by event id) measure how long the newest
   * record of a surge took from the broker to its alert, and give an alert its completing article's
   * trace (alert-trace.ts).
   */
  async count(
    records: readonly Observation[],
    origins?: ReadonlyMap<string, RecordOrigin>,
  ): Promise<BatchOutcome> {
    const startedAt = Date.now();
    const endTimer = monitorMetrics.batchSeconds.startTimer();
    const seen = new Set<string>();
    const unique = records.filter((o) => !seen.has(o.eventId) && seen.add(o.eventId));
    const tenants = [...new Set(unique.map((o) => o.tenantId))];
    const [books] = await Promise.all([this.rules.booksFor(tenants), this.confusion.prepare(unique)]);

    const outcome = await this.db.transaction(async (tx) => {
      const fresh = await this.windows.claimEvents(
        tx,
        unique.map((o) => o.eventId),
      );
      const observations = unique.filter((o) => fresh.has(o.eventId));
      const result: BatchOutcome = {
        received: records.length,
        duplicates: records.length - observations.length,
        counted: 0,
        late: 0,
        windowsUpdated: 0,
        alerts: [],
      };
      if (observations.length === 0) return { result, plan: undefined, suppressed: [] };

      const keys = [
        ...new Map(
          observations.map((o) => [tickerKey(o), { tenantId: o.tenantId, ticker: o.ticker }]),
        ).values(),
      ];
      const watermarks = await this.windows.lockWatermarks(tx, keys);
      const openWindows = await this.windows.lockOpenWindows(tx, keys);
      const detectors = await this.windows.lockDetectors(tx, keys);
      const priors = await this.windows.marketPriors(tx, tenants);
      const plan = planBatch(
        {
          observations,
          watermarks,
          openWindows,
          detectors,
          prior: (tenantId) => priors.get(tenantId) as MarketPrior,
          rules: (tenantId) => books.get(tenantId) as AlertRuleBook,
          confusion: (modelVersion, tenantId) => this.confusion.get(modelVersion, tenantId),
          now: Date.now(),
        },
        this.settings,
      );

      await this.windows.saveWindows(tx, plan.windows);
      await this.windows.saveDetectors(tx, plan.detectors);
      await this.windows.insertLate(tx, plan.late);
      await this.windows.saveWatermarks(tx, plan.watermarks);
      result.counted = plan.counted;
      result.late = plan.late.length;
      result.windowsUpdated = plan.windows.length;

      let suppressed: SurgeCandidate[] = [];
      if (plan.candidates.length > 0) {
        const tickers: TickerKey[] = [
          ...new Map(
            plan.candidates.map((c) => [tickerKey(c), { tenantId: c.tenantId, ticker: c.ticker }]),
          ).values(),
        ];
        const recent = await this.alerts.recentMarks(tx, tickers, cooldownHorizon(plan.candidates));
        const decisions = decideAlerts(plan.candidates, recent);
        suppressed = decisions.suppressed;
        const notCounted = new Set(plan.late.map((l) => l.eventId));
        const raised = decisions.alerts.map((a) => {
          const completing = completingObservation(a, observations, notCounted);
          return {
            ...a,
            completedBy: completing
              ? {
                  articleId: completing.articleId,
                  traceparent: origins?.get(completing.eventId)?.traceparent ?? null,
                }
              : null,
          };
        });
        result.alerts = await this.alerts.insert(tx, raised);
        await this.webhooks.enqueueFor(tx, result.alerts);
      }
      return { result, plan, suppressed };
    });
    endTimer();

    const { result, plan, suppressed } = outcome;
    for (const s of suppressed) monitorMetrics.alertsSuppressed.inc({ direction: s.proposal.direction });
    monitorMetrics.records.inc({ outcome: 'duplicate' }, result.duplicates);
    monitorMetrics.records.inc({ outcome: 'counted' }, result.counted);
    if (plan) {
      for (const l of plan.late) {
        monitorMetrics.records.inc({ outcome: l.reason });
        monitorMetrics.lateDropped.inc({ reason: l.reason });
      }
      for (const w of plan.windows) monitorMetrics.windowsUpdated.inc({ window: w.size });
      for (const w of plan.closed) monitorMetrics.windowsClosed.inc({ window: w.size });
    }
    if (result.late > 0) {
      this.logger.info({ late: result.late }, 'records later than the allowed lateness were not counted');
    }
    if (result.alerts.length > 0) {
      const committed = Date.now();
      for (const a of result.alerts) {
        monitorMetrics.alertsRaised.inc({ severity: a.severity, direction: a.direction });
        const newest = Math.max(
          ...records
            .filter((o) => o.ticker === a.ticker)
            .map((o) => origins?.get(o.eventId)?.brokerTime ?? Number.NaN),
        );
        if (Number.isFinite(newest)) monitorMetrics.alertLag.observe(Math.max(0, committed - newest) / 1000);
        traceAlertRaised(a, startedAt);
        this.logger.info(
          {
            alertId: a.alertId,
            ticker: a.ticker,
            window: a.windowSize,
            windowStart: new Date(a.windowStart).toISOString(),
            direction: a.direction,
            severity: a.severity,
            evidence: a.test && Number(a.test.evidence.toFixed(2)),
            threshold: a.test && Number(a.test.threshold.toFixed(2)),
            volume: a.volume,
            acrossVersions: a.models?.acrossVersions,
            upgradeOf: a.upgradeOf,
          },
          'sentiment alert raised',
        );
      }
      this.signals.raised(result.alerts);
    }
    return result;
  }
}
