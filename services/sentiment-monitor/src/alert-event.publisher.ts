// Writes alerts to sentiment.alerts.v1 through the typed producer: key = ticker, event-id header =
// the deterministic alert id (a relay retry after a crash republishes the same id, which consumers
// dedupe on), the tenant in its header. The record carries the surge test's figures, whether the
// evidence was compared across model versions, and the trace context of the article that completed
// the alert (alert-trace.ts), which consumers continue.
import { Injectable } from '@nestjs/common';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AlertDirection, AlertSeverity, Topics } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import type { Direction, Severity } from './alert-rules';
import type { AlertRecord } from './alert.repository';
import { evidenceTraceId } from './alert-trace';

const DIRECTION: Record<Direction, AlertDirection> = {
  negative: AlertDirection.NEGATIVE,
  positive: AlertDirection.POSITIVE,
};
const SEVERITY: Record<Severity, AlertSeverity> = {
  low: AlertSeverity.LOW,
  medium: AlertSeverity.MEDIUM,
  high: AlertSeverity.HIGH,
};

@Injectable()
export class AlertEventPublisher {
  constructor(private readonly producer: EventProducer) {}

  async publish(alerts: readonly AlertRecord[]): Promise<void> {
    await this.producer.send(
      Topics.sentimentAlerts,
      alerts.map((a) => ({
        key: a.ticker,
        eventId: a.alertId,
        tenantId: a.tenantId,
        traceparent: a.completedBy?.traceparent,
        value: {
          tenantId: a.tenantId,
          alertId: a.alertId,
          ticker: a.ticker,
          windowStart: timestampFromMs(a.windowStart),
          windowEnd: timestampFromMs(a.windowEnd),
          window: a.windowSize,
          direction: DIRECTION[a.direction],
          severity: SEVERITY[a.severity],
          share: a.share,
          baselineMean: a.baseline.mean,
          baselineStddev: a.baseline.std,
          zScore: a.z,
          volume: BigInt(a.volume),
          modelVersion: a.modelVersions.join(','),
          evidenceLlr: a.test?.evidence ?? 0,
          evidenceThreshold: a.test?.threshold ?? 0,
          evidenceSince: a.test ? timestampFromMs(a.test.since) : undefined,
          baselineModelVersion: a.baseline.versions.join(','),
          acrossModelVersions: a.models?.acrossVersions ?? false,
          comparisonNote: a.models?.note ?? '',
          rulesVersion: a.rulesVersion ?? 0,
          evidence: a.evidence.map((e) => ({
            articleId: e.articleId,
            headline: e.headline,
            source: e.source,
            probability: e.probability,
            publishedAt: timestampFromMs(Date.parse(e.publishedAt)),
          })),
          raisedAt: timestampFromMs(a.raisedAt),
          completedByArticleId: a.completedBy?.articleId ?? '',
          traceId: evidenceTraceId(a.completedBy) ?? '',
        },
      })),
    );
  }
}
