// Every RECS_MONITORING_INTERVAL_MS: resolves the answers whose outcome window has passed, sets the
// online outcome gauges and publishes each (tenant, alias, version)'s figures of the window as a
// ModelMonitoring event on models.monitoring.v1 (kind RECOMMENDER; `alias` says which; the shadow's
// event carries `champion_hit_rate`, production's on the same mirrored requests), then lets
// RecommenderModelsService take its online decisions (shadow promotion, rollback on hit rate). A
// failed publish is logged: the gauges hold the figures, and the totals the decisions use are kept.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ModelKind, Topics } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import type { ScoringConfig } from '../scoring.config';
import { OutcomeTracker, rate, type OutcomeReport } from './outcomes';
import { RecommenderModelsService, recommenderName } from './recommender-models.service';
import { recsMetrics } from './recs-metrics';
import { RecsState } from './recs-state';

@Injectable()
export class RecsMonitoringPoller extends PolledWork {
  private windowStart = new Date();

  constructor(
    private readonly outcomes: OutcomeTracker,
    private readonly models: RecommenderModelsService,
    private readonly state: RecsState,
    private readonly producer: EventProducer,
    @Inject(SERVICE_CONFIG) config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    super({
      what: 'recommendation outcome monitoring',
      intervalMs: config.RECS_MONITORING_INTERVAL_MS,
      maxBackoffMs: config.RECS_MONITORING_INTERVAL_MS,
      logger,
      firstAfterInterval: true,
    });
  }

  protected async step(): Promise<boolean> {
    const end = new Date();
    this.outcomes.resolve(end.getTime());
    const reports = this.outcomes.report(
      (tenantId) => this.state.peek(tenantId)?.catalog ?? new Set<string>(),
    );
    const start = this.windowStart;
    this.windowStart = end;
    for (const r of reports) this.observe(r);
    const events = reports
      .filter((r) => r.stream !== 'shadow_baseline' && r.answers + r.impressions > 0)
      .map((r) => this.event(r, reports, start, end));
    if (events.length > 0) {
      try {
        await this.producer.send(Topics.modelMonitoring, events);
      } catch (err) {
        this.logger.warn(
          { err: (err as Error).message, events: events.length },
          'could not publish the recommendation outcomes; the gauges have them',
        );
      }
    }
    await this.models.judgeOnline();
    return false;
  }

  private observe(r: OutcomeReport): void {
    const labels = { tenant: r.tenantId, alias: r.stream, version: String(r.version) };
    recsMetrics.outcomeAnswers.inc(labels, r.answers);
    recsMetrics.outcomeHits.inc({ ...labels, outcome: 'hit' }, r.hits);
    recsMetrics.outcomeHits.inc({ ...labels, outcome: 'purchase' }, r.purchases);
    if (r.answers > 0) recsMetrics.hitRate.set(labels, rate(r));
    if (r.coverage !== undefined) recsMetrics.coverage.set(labels, r.coverage);
    if (r.popularityPercentile !== undefined)
      recsMetrics.popularityPercentile.set(labels, r.popularityPercentile);
  }

  private event(r: OutcomeReport, all: readonly OutcomeReport[], start: Date, end: Date) {
    const name = recommenderName(r.tenantId);
    const baseline =
      r.stream === 'shadow'
        ? all.find(
            (b) => b.stream === 'shadow_baseline' && b.tenantId === r.tenantId && b.version === r.version,
          )
        : undefined;
    return {
      key: name,
      tenantId: r.tenantId,
      value: {
        tenantId: r.tenantId,
        modelName: name,
        kind: ModelKind.RECOMMENDER,
        version: String(r.version),
        alias: r.stream,
        windowStart: timestampFromDate(start),
        windowEnd: timestampFromDate(end),
        sample: r.answers,
        figures: {
          answers: r.answers,
          hits: r.hits,
          purchases: r.purchases,
          impressions: r.impressions,
          ...(r.answers > 0 ? { hit_rate: rate(r), purchase_rate: r.purchases / r.answers } : {}),
          ...(r.coverage === undefined ? {} : { coverage: r.coverage }),
          ...(r.popularityPercentile === undefined ? {} : { popularity_percentile: r.popularityPercentile }),
          ...(baseline && baseline.answers > 0 ? { champion_hit_rate: rate(baseline) } : {}),
        },
        drifted: [],
        threshold: 0,
      },
    };
  }
}
