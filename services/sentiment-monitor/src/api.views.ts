// The response bodies of the HTTP API (and of webhooks and the live stream), as zod schemas: the
// TypeScript types handlers return and the OpenAPI document come from the same definitions.
import { z } from '@mercato/config';
import { DIRECTIONS, SEVERITIES } from './alert-rules';
import type { AlertRecord } from './alert.repository';
import type { RankedTicker, StoredWindow } from './sentiment-window.repository';
import type { Delivery, Subscription } from './webhook.repository';

const Timestamp = z.string().describe('ISO 8601, UTC');
const BaselineView = z.object({
  mean: z.number(),
  std: z.number(),
  source: z.enum(['prior', 'history']).describe('"prior" until the ticker has enough closed windows'),
});
const WindowRangeView = z.object({
  size: z.string().describe('e.g. "5m"'),
  start: Timestamp,
  end: Timestamp,
});

export const EvidenceView = z.object({
  articleId: z.string(),
  headline: z.string(),
  source: z.string(),
  probability: z.number().describe('the model probability of the alert direction'),
  publishedAt: Timestamp,
});

export const AlertView = z.object({
  alertId: z.string().describe('deterministic: the same surge decision always has the same id'),
  seq: z.number().int().describe('position in the live stream (the SSE event id)'),
  tenantId: z.string(),
  ticker: z.string(),
  window: WindowRangeView,
  direction: z.enum(DIRECTIONS),
  severity: z.enum(SEVERITIES),
  share: z.number().describe('share of the window’s articles labelled in the direction'),
  baseline: BaselineView,
  z: z.number(),
  volume: z.number().int(),
  modelVersions: z.array(z.string()),
  evidence: z.array(EvidenceView).describe('the most confident headlines of the direction (up to 5)'),
  upgradeOf: z.string().nullable().describe('the earlier, less severe alert of the same surge'),
  raisedAt: Timestamp,
});
export type AlertView = z.infer<typeof AlertView>;

const iso = (ms: number): string => new Date(ms).toISOString();

export const toAlertView = (a: AlertRecord): AlertView => ({
  alertId: a.alertId,
  seq: a.seq,
  tenantId: a.tenantId,
  ticker: a.ticker,
  window: { size: a.windowSize, start: iso(a.windowStart), end: iso(a.windowEnd) },
  direction: a.direction,
  severity: a.severity,
  share: a.share,
  baseline: { mean: a.baselineMean, std: a.baselineStd, source: a.baselineSource },
  z: a.z,
  volume: a.volume,
  modelVersions: a.modelVersions,
  evidence: a.evidence,
  upgradeOf: a.upgradeOf,
  raisedAt: iso(a.raisedAt),
});

export const WindowPointView = z.object({
  start: Timestamp,
  end: Timestamp,
  volume: z.number().int(),
  negative: z.number().int(),
  neutral: z.number().int(),
  positive: z.number().int(),
  negativeShare: z.number(),
  neutralShare: z.number(),
  positiveShare: z.number(),
  meanProbNegative: z.number(),
  meanProbPositive: z.number(),
  negativeZ: z.number().nullable(),
  positiveZ: z.number().nullable(),
  modelVersions: z.array(z.string()),
  closed: z.boolean().describe('the watermark passed end + allowed lateness: final'),
});
export type WindowPointView = z.infer<typeof WindowPointView>;

const share = (n: number, volume: number): number => (volume === 0 ? 0 : n / volume);

export const toWindowPoint = (w: StoredWindow): WindowPointView => ({
  start: iso(w.start),
  end: iso(w.end),
  volume: w.counts.volume,
  negative: w.counts.negative,
  neutral: w.counts.neutral,
  positive: w.counts.positive,
  negativeShare: share(w.counts.negative, w.counts.volume),
  neutralShare: share(w.counts.neutral, w.counts.volume),
  positiveShare: share(w.counts.positive, w.counts.volume),
  meanProbNegative: share(w.counts.sumProbNegative, w.counts.volume),
  meanProbPositive: share(w.counts.sumProbPositive, w.counts.volume),
  negativeZ: w.negativeZ,
  positiveZ: w.positiveZ,
  modelVersions: w.counts.modelVersions,
  closed: w.closed,
});

export const SeriesView = z.object({
  ticker: z.string(),
  window: z.string(),
  items: z.array(WindowPointView).describe('windows with at least one record, oldest first'),
  totals: z.object({
    counted: z.number().int().describe('records counted in windows of this size, over all time'),
    late: z.number().int().describe('records not counted: later than the allowed lateness, or in the future'),
  }),
});
export type SeriesView = z.infer<typeof SeriesView>;

export const RankedTickerView = z.object({
  ticker: z.string(),
  window: WindowRangeView.describe('the ticker’s latest window of the requested size'),
  volume: z.number().int(),
  negativeShare: z.number(),
  positiveShare: z.number(),
  negativeZ: z.number().nullable(),
  positiveZ: z.number().nullable(),
  baseline: z.object({ negative: BaselineView, positive: BaselineView }).nullable(),
  watermark: Timestamp.nullable().describe('newest event time seen for the ticker'),
  lastAlert: z
    .object({ alertId: z.string(), direction: z.enum(DIRECTIONS), severity: z.string(), raisedAt: Timestamp })
    .nullable(),
});
export type RankedTickerView = z.infer<typeof RankedTickerView>;

export const toRankedTicker = (r: RankedTicker): RankedTickerView => ({
  ticker: r.window.ticker,
  window: { size: r.window.size, start: iso(r.window.start), end: iso(r.window.end) },
  volume: r.window.counts.volume,
  negativeShare: share(r.window.counts.negative, r.window.counts.volume),
  positiveShare: share(r.window.counts.positive, r.window.counts.volume),
  negativeZ: r.window.negativeZ,
  positiveZ: r.window.positiveZ,
  baseline: r.window.baseline,
  watermark: r.watermark === null ? null : iso(r.watermark),
  lastAlert: r.lastAlert && { ...r.lastAlert, raisedAt: iso(r.lastAlert.raisedAt) },
});

export const RankingView = z.object({ window: z.string(), items: z.array(RankedTickerView) });

export const SubscriptionView = z.object({
  id: z.string(),
  url: z.string(),
  tickers: z.array(z.string()).describe('empty: every ticker'),
  directions: z.array(z.enum(DIRECTIONS)),
  minSeverity: z.enum(SEVERITIES),
  description: z.string(),
  createdAt: Timestamp,
});
export type SubscriptionView = z.infer<typeof SubscriptionView>;

export const toSubscriptionView = (s: Subscription): SubscriptionView => ({
  id: s.id,
  url: s.url,
  tickers: s.tickers,
  directions: s.directions,
  minSeverity: s.minSeverity,
  description: s.description,
  createdAt: iso(s.createdAt),
});

export const CreatedSubscriptionView = SubscriptionView.extend({
  secret: z.string().describe('the HMAC-SHA256 key for x-mercato-signature; shown only in this response'),
});

export const DeliveryView = z.object({
  id: z.string(),
  alertId: z.string(),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: Timestamp,
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  deliveredAt: Timestamp.nullable(),
});
export type DeliveryView = z.infer<typeof DeliveryView>;

export const toDeliveryView = (d: Delivery): DeliveryView => ({
  id: d.id,
  alertId: d.alertId,
  state: d.state,
  attempts: d.attempts,
  nextAttemptAt: iso(d.nextAttemptAt),
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  createdAt: iso(d.createdAt),
  deliveredAt: d.deliveredAt === null ? null : iso(d.deliveredAt),
});

/** The JSON body POSTed to a webhook, signed as a whole. */
export const WebhookPayloadView = z.object({
  type: z.literal('sentiment.alert'),
  deliveryId: z.string(),
  attempt: z.number().int(),
  sentAt: Timestamp.describe('equal to the x-mercato-timestamp header (Unix seconds), and signed'),
  alert: AlertView,
});

export const ItemsView = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
