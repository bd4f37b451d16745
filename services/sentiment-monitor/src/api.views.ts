// The response bodies of the HTTP API (and of webhooks and the live stream), as zod schemas: the
// TypeScript types handlers return and the OpenAPI document come from the same definitions.
import { z } from '@mercato/config';
import { DIRECTIONS, SEVERITIES, type RulesView as Rules } from './alert-rules';
import type { AlertRulesService, RulesState } from './alert-rules.service';
import type { AlertRecord } from './alert.repository';
import { evidenceTraceId } from './alert-trace';
import { formatDuration } from './durations';
import type { RankedTicker, StoredWindow, WindowReading } from './sentiment-window.repository';
import type { Delivery, Subscription } from './webhook.repository';

const Timestamp = z.string().describe('ISO 8601, UTC');
const Source = z
  .enum(['default', 'market', 'history'])
  .describe(
    '"history": the ticker’s own closed windows dominate; "market": a thin ticker leaning on the tenant’s ' +
      'market prior; "default": the built-in prior (the tenant has too few tickers with history)',
  );
const BaselineView = z.object({
  mean: z.number().describe('expected share of the version’s labels in the direction'),
  std: z.number(),
  low: z
    .number()
    .nullable()
    .describe('the band the test allows the share (90 %, one-sided high end is the test’s)'),
  high: z.number().nullable(),
  source: Source,
  articles: z.number().nullable().describe('effective articles of the ticker’s own history behind it'),
  modelVersions: z
    .array(z.string())
    .describe('versions of the windows the ticker’s baseline was learned from'),
});
const SeverityFigures = z.object({ low: z.number(), medium: z.number(), high: z.number() });
const TestView = z
  .object({
    method: z
      .literal('cusum-llr')
      .describe('sequential likelihood-ratio test (CUSUM), evidence fading with event time'),
    evidence: z.number().describe('natural log of the likelihood ratio of a surge against the baseline'),
    likelihoodRatio: z
      .number()
      .describe('e^evidence: how many times likelier the articles are under a surge'),
    threshold: z.number().describe('the evidence this severity needed on this ticker'),
    thresholds: SeverityFigures,
    since: Timestamp.describe('the first article of the evidence'),
    at: Timestamp.describe('the article that raised the alert'),
    articles: z.number().int(),
    directionArticles: z.number().int().describe('articles labelled in the direction'),
    surgeShare: z
      .number()
      .describe(
        'the share of a surge’s articles in the direction the test that fired looks for (the rules’ surgeShare or partialShare)',
      ),
    horizon: z.string().describe('event time after which evidence fades to 1/e'),
  })
  .nullable()
  .describe('null for alerts raised before the surge test');
const ModelsView = z
  .object({
    acrossVersions: z
      .boolean()
      .describe('the evidence was scored by versions the baseline was not learned from'),
    note: z.string().nullable().describe('which versions were compared, and how'),
    confusion: z.array(
      z.object({
        version: z.string(),
        confusion: z.enum(['measured', 'default']),
        calibrated: z
          .boolean()
          .optional()
          .describe('true when the version’s measured calibration weighed each label by its confidence'),
        reason: z.string().optional().describe('why the default confusion was assumed'),
      }),
    ),
  })
  .nullable();
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
  share: z.number().describe('share of the evidence’s articles labelled in the direction'),
  baseline: BaselineView,
  z: z
    .number()
    .describe('(k − n·mean) / √(n·mean·(1 − mean)) for the evidence’s n articles, k in the direction'),
  volume: z.number().int().describe('articles the evidence rests on'),
  test: TestView,
  modelVersions: z.array(z.string()).describe('versions that scored the evidence (owner/name@version)'),
  models: ModelsView,
  rulesVersion: z
    .number()
    .int()
    .nullable()
    .describe('the tenant’s rules version (0: the deployment’s rules)'),
  evidence: z.array(EvidenceView).describe('the most confident headlines of the direction (up to 5)'),
  upgradeOf: z.string().nullable().describe('the earlier, less severe alert of the same surge'),
  raisedAt: Timestamp,
  completedBy: z
    .object({
      articleId: z.string(),
      traceId: z.string().nullable().describe("the W3C trace id of the article's trace, when it was sampled"),
    })
    .nullable()
    .describe('the article whose record completed the alert (the last one counted into its window)'),
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
  baseline: {
    mean: a.baseline.mean,
    std: a.baseline.std,
    low: a.baseline.low,
    high: a.baseline.high,
    source: a.baseline.source,
    articles: a.baseline.articles,
    modelVersions: a.baseline.versions,
  },
  z: a.z,
  volume: a.volume,
  test: a.test && {
    method: 'cusum-llr',
    evidence: a.test.evidence,
    likelihoodRatio: Math.exp(a.test.evidence),
    threshold: a.test.threshold,
    thresholds: a.test.thresholds,
    since: iso(a.test.since),
    at: iso(a.test.at),
    articles: a.test.articles,
    directionArticles: a.test.directionArticles,
    surgeShare: a.test.surgeShare,
    horizon: formatDuration(a.test.horizonMs),
  },
  modelVersions: a.modelVersions,
  models: a.models,
  rulesVersion: a.rulesVersion,
  evidence: a.evidence,
  upgradeOf: a.upgradeOf,
  raisedAt: iso(a.raisedAt),
  completedBy: a.completedBy && {
    articleId: a.completedBy.articleId,
    traceId: evidenceTraceId(a.completedBy),
  },
});

const ReadingView = z
  .object({
    evidence: z.number().describe('the strongest evidence of a surge while the window was open'),
    threshold: z.number().describe('the evidence the lowest severity needed'),
    expected: z.number().describe('the baseline’s expected share of labels in the direction'),
    low: z.number(),
    high: z.number(),
    source: Source,
  })
  .nullable();

const readingView = (r: WindowReading | null) =>
  r && {
    evidence: r.evidence,
    threshold: r.threshold,
    expected: r.expected,
    low: r.low,
    high: r.high,
    source: r.source,
  };

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
  negativeTest: ReadingView,
  positiveTest: ReadingView,
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
  negativeTest: readingView(w.negativeTest),
  positiveTest: readingView(w.positiveTest),
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
  negativeTest: ReadingView,
  positiveTest: ReadingView,
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
  negativeTest: readingView(r.window.negativeTest),
  positiveTest: readingView(r.window.positiveTest),
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

const RulesFields = z.object({
  directions: z.array(z.enum(DIRECTIONS)),
  minVolume: z.number().int(),
  minShare: z.number(),
  evidence: SeverityFigures,
  surgeShare: z.number(),
  partialShare: z.number(),
  horizon: z.string(),
  cooldown: z.string(),
  window: z.string(),
});

export const RulesStateView = z.object({
  version: z.number().int().describe('0 while the tenant has no rules of its own (the deployment’s apply)'),
  document: z.unknown().describe('the document as it was set; null for the deployment’s rules'),
  effective: z.object({ defaults: RulesFields, tickers: z.record(z.string(), RulesFields) }),
  updatedBy: z.string().nullable(),
  updatedAt: Timestamp.nullable(),
});
export type RulesStateView = z.infer<typeof RulesStateView>;

export const toRulesState = (s: RulesState): RulesStateView => ({
  version: s.version,
  document: s.document,
  effective: s.effective as { defaults: Rules; tickers: Record<string, Rules> },
  updatedBy: s.updatedBy,
  updatedAt: s.updatedAt === null ? null : iso(s.updatedAt),
});

export const RulesVersionView = z.object({
  version: z.number().int(),
  createdBy: z.string(),
  createdAt: Timestamp,
});
export type RulesVersionView = z.infer<typeof RulesVersionView>;

export const toRulesVersions = (
  rows: Awaited<ReturnType<AlertRulesService['versions']>>,
): RulesVersionView[] =>
  rows.map((r) => ({ version: r.version, createdBy: r.createdBy, createdAt: iso(r.createdAt) }));

export const StoredFeedbackView = z.object({
  feedbackId: z.string(),
  articleId: z.string().nullable(),
  label: z.string(),
  submittedBy: z.string().describe('the key or token subject that corrected the label'),
  submittedAt: z.string(),
});

export const ModelSignalsView = z.object({
  items: z.array(
    z.object({
      model: z.string(),
      signals: z.array(
        z.object({
          signal: z
            .string()
            .describe(
              'psi_predicted_class, psi_confidence, unknown_rate, reference_unknown_rate, feedback_disagreement, share_<label>, …',
            ),
          value: z.number(),
          version: z.string().describe('the version the window was of'),
          drifted: z.boolean().describe('the signal crossed its threshold in that window'),
          threshold: z.number(),
          sample: z.number().int().describe('predictions (or corrections) in the window'),
          at: z.string().describe('end of the window'),
        }),
      ),
    }),
  ),
});
export type ModelSignalsView = z.infer<typeof ModelSignalsView>;
