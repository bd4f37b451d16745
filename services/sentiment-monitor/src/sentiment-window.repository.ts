// Postgres access for counting: processed event ids, ticker watermarks, windows, baselines and
// late records. The write methods take the transaction of the batch being counted (rows are locked
// in a fixed order, so concurrent batches cannot deadlock); the read methods serve the HTTP API.
import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@mercato/db';
import type { Direction } from './alert-rules';
import { DEFAULT_MARKET_PRIOR, type BaselineSource, type MarketPrior, type TickerBaseline } from './baseline';
import type { DetectorState } from './surge';
import type { Evidence, Label, WindowCounts } from './window-aggregate';

export interface TickerKey {
  tenantId: string;
  ticker: string;
}

export const tickerKey = (k: TickerKey): string => `${k.tenantId}\u0000${k.ticker}`;

/** What the surge test read in a window for one direction (surge.ts), as its records came in. */
export interface WindowReading {
  /** The evidence (nats) while the window was open that came furthest past (or nearest to) its threshold. */
  evidence: number;
  /** The evidence the lowest severity needed then. */
  threshold: number;
  /** The baseline's expected share of labels in the direction, and its band. */
  expected: number;
  low: number;
  high: number;
  source: BaselineSource;
}

export interface StoredWindow extends TickerKey {
  size: string;
  start: number;
  end: number;
  counts: WindowCounts;
  negativeTest: WindowReading | null;
  positiveTest: WindowReading | null;
  closed: boolean;
}

export interface LateRow extends TickerKey {
  eventId: string;
  articleId: string;
  reason: 'late' | 'future';
  publishedAt: number;
  watermark: number | null;
  label: Label;
  probNegative: number;
  probNeutral: number;
  probPositive: number;
  modelVersion: string;
  headline: string;
}

export interface RankedTicker {
  window: StoredWindow;
  watermark: number | null;
  lastAlert: { alertId: string; direction: Direction; severity: string; raisedAt: number } | null;
}

interface WindowDbRow {
  tenant_id: string;
  ticker: string;
  window_size: string;
  window_start: Date;
  window_end: Date;
  negative: number;
  neutral: number;
  positive: number;
  volume: number;
  sum_prob_negative: number;
  sum_prob_neutral: number;
  sum_prob_positive: number;
  model_versions: string[];
  top_negative: Evidence[];
  top_positive: Evidence[];
  negative_test: WindowReading | null;
  positive_test: WindowReading | null;
  closed: boolean;
}

const WINDOW_COLUMNS = `tenant_id, ticker, window_size, window_start, window_end, negative, neutral, positive, volume,
  sum_prob_negative, sum_prob_neutral, sum_prob_positive, model_versions, top_negative, top_positive,
  negative_test, positive_test, closed`;

const toWindow = (r: WindowDbRow): StoredWindow => ({
  tenantId: r.tenant_id,
  ticker: r.ticker,
  size: r.window_size,
  start: r.window_start.getTime(),
  end: r.window_end.getTime(),
  counts: {
    negative: r.negative,
    neutral: r.neutral,
    positive: r.positive,
    volume: r.volume,
    sumProbNegative: r.sum_prob_negative,
    sumProbNeutral: r.sum_prob_neutral,
    sumProbPositive: r.sum_prob_positive,
    modelVersions: r.model_versions,
    topNegative: r.top_negative,
    topPositive: r.top_positive,
  },
  negativeTest: r.negative_test,
  positiveTest: r.positive_test,
  closed: r.closed,
});

/** Keys sorted the same way in every transaction: the lock order. */
function sortedKeys(keys: readonly TickerKey[]): { tenants: string[]; tickers: string[] } {
  const unique = [...new Map(keys.map((k) => [tickerKey(k), k])).values()].sort((a, b) =>
    a.tenantId === b.tenantId ? (a.ticker < b.ticker ? -1 : 1) : a.tenantId < b.tenantId ? -1 : 1,
  );
  return { tenants: unique.map((k) => k.tenantId), tickers: unique.map((k) => k.ticker) };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

@Injectable()
export class SentimentWindowRepository {
  constructor(private readonly db: Database) {}

  /**
   * Records the event ids and returns those not seen before (the only ones to count). Sorted, so
   * two batches that share ids (a record republished under another key) wait on each other in the
   * same order instead of deadlocking.
   */
  async claimEvents(tx: Queryable, eventIds: readonly string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const { rows } = await tx.query<{ event_id: string }>(
      `INSERT INTO processed_events (event_id) SELECT unnest($1::text[])
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [[...eventIds].sort()],
    );
    return new Set(rows.map((r) => r.event_id));
  }

  /** Locks each ticker's watermark row (creating it) and returns the watermarks, by tickerKey. */
  async lockWatermarks(tx: Queryable, keys: readonly TickerKey[]): Promise<Map<string, number | undefined>> {
    const { tenants, tickers } = sortedKeys(keys);
    await tx.query(
      `INSERT INTO ticker_watermarks (tenant_id, ticker)
       SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
      [tenants, tickers],
    );
    const { rows } = await tx.query<{ tenant_id: string; ticker: string; watermark: Date | null }>(
      `SELECT tenant_id, ticker, watermark FROM ticker_watermarks
       WHERE (tenant_id, ticker) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       ORDER BY tenant_id, ticker FOR UPDATE`,
      [tenants, tickers],
    );
    return new Map(
      rows.map((r) => [tickerKey({ tenantId: r.tenant_id, ticker: r.ticker }), r.watermark?.getTime()]),
    );
  }

  async saveWatermarks(tx: Queryable, rows: readonly (TickerKey & { watermark: number })[]): Promise<void> {
    if (rows.length === 0) return;
    await tx.query(
      `UPDATE ticker_watermarks t SET watermark = GREATEST(t.watermark, u.watermark), updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(tenant_id, ticker, watermark)
       WHERE t.tenant_id = u.tenant_id AND t.ticker = u.ticker`,
      [rows.map((r) => r.tenantId), rows.map((r) => r.ticker), rows.map((r) => iso(r.watermark))],
    );
  }

  /** Every open window of the tickers, locked: the only windows a batch can add to or close. */
  async lockOpenWindows(tx: Queryable, keys: readonly TickerKey[]): Promise<StoredWindow[]> {
    const { tenants, tickers } = sortedKeys(keys);
    const { rows } = await tx.query<WindowDbRow>(
      `SELECT ${WINDOW_COLUMNS} FROM windows
       WHERE NOT closed AND (tenant_id, ticker) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       ORDER BY tenant_id, ticker, window_size, window_start FOR UPDATE`,
      [tenants, tickers],
    );
    return rows.map(toWindow);
  }

  async saveWindows(tx: Queryable, windows: readonly StoredWindow[]): Promise<void> {
    if (windows.length === 0) return;
    const records = [...windows]
      .sort((a, b) =>
        tickerKey(a) !== tickerKey(b)
          ? tickerKey(a) < tickerKey(b)
            ? -1
            : 1
          : a.size !== b.size
            ? a.size < b.size
              ? -1
              : 1
            : a.start - b.start,
      )
      .map((w) => ({
        tenant_id: w.tenantId,
        ticker: w.ticker,
        window_size: w.size,
        window_start: iso(w.start),
        window_end: iso(w.end),
        negative: w.counts.negative,
        neutral: w.counts.neutral,
        positive: w.counts.positive,
        volume: w.counts.volume,
        sum_prob_negative: w.counts.sumProbNegative,
        sum_prob_neutral: w.counts.sumProbNeutral,
        sum_prob_positive: w.counts.sumProbPositive,
        model_versions: w.counts.modelVersions,
        top_negative: w.counts.topNegative,
        top_positive: w.counts.topPositive,
        negative_test: w.negativeTest,
        positive_test: w.positiveTest,
        closed: w.closed,
      }));
    await tx.query(
      `INSERT INTO windows (${WINDOW_COLUMNS}, updated_at)
       SELECT ${WINDOW_COLUMNS}, now() FROM jsonb_to_recordset($1::jsonb) AS r(
         tenant_id text, ticker text, window_size text, window_start timestamptz, window_end timestamptz,
         negative integer, neutral integer, positive integer, volume integer, sum_prob_negative float8,
         sum_prob_neutral float8, sum_prob_positive float8, model_versions text[], top_negative jsonb,
         top_positive jsonb, negative_test jsonb, positive_test jsonb, closed boolean)
       ON CONFLICT (tenant_id, ticker, window_size, window_start) DO UPDATE SET
         negative = EXCLUDED.negative, neutral = EXCLUDED.neutral, positive = EXCLUDED.positive,
         volume = EXCLUDED.volume, sum_prob_negative = EXCLUDED.sum_prob_negative,
         sum_prob_neutral = EXCLUDED.sum_prob_neutral, sum_prob_positive = EXCLUDED.sum_prob_positive,
         model_versions = EXCLUDED.model_versions, top_negative = EXCLUDED.top_negative,
         top_positive = EXCLUDED.top_positive, negative_test = EXCLUDED.negative_test,
         positive_test = EXCLUDED.positive_test, closed = EXCLUDED.closed,
         updated_at = now()`,
      [JSON.stringify(records)],
    );
  }

  /** Each ticker's surge detector, locked (absent: a ticker never seen), by tickerKey. */
  async lockDetectors(tx: Queryable, keys: readonly TickerKey[]): Promise<Map<string, DetectorState>> {
    const { tenants, tickers } = sortedKeys(keys);
    const { rows } = await tx.query<{ tenant_id: string; ticker: string; state: DetectorState }>(
      `SELECT tenant_id, ticker, state FROM ticker_detectors
       WHERE (tenant_id, ticker) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       ORDER BY tenant_id, ticker FOR UPDATE`,
      [tenants, tickers],
    );
    return new Map(rows.map((r) => [tickerKey({ tenantId: r.tenant_id, ticker: r.ticker }), r.state]));
  }

  async saveDetectors(
    tx: Queryable,
    detectors: readonly (TickerKey & { state: DetectorState })[],
  ): Promise<void> {
    if (detectors.length === 0) return;
    const records = [...detectors]
      .sort((a, b) => (tickerKey(a) < tickerKey(b) ? -1 : 1))
      .map((d) => ({ tenant_id: d.tenantId, ticker: d.ticker, state: d.state }));
    await tx.query(
      `INSERT INTO ticker_detectors (tenant_id, ticker, state, updated_at)
       SELECT *, now() FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id text, ticker text, state jsonb)
       ON CONFLICT (tenant_id, ticker) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
      [JSON.stringify(records)],
    );
  }

  /** The market prior of each tenant (the default for a tenant without one yet), by tenant id. */
  async marketPriors(tx: Queryable, tenantIds: readonly string[]): Promise<Map<string, MarketPrior>> {
    const { rows } = await tx.query<{
      tenant_id: string;
      mean: number[];
      concentration: number;
      tickers: number;
    }>('SELECT tenant_id, mean, concentration, tickers FROM market_priors WHERE tenant_id = ANY($1)', [
      [...tenantIds],
    ]);
    const priors = new Map(
      rows.map((r) => [r.tenant_id, { mean: r.mean, concentration: r.concentration, tickers: r.tickers }]),
    );
    for (const t of tenantIds) if (!priors.has(t)) priors.set(t, DEFAULT_MARKET_PRIOR);
    return priors;
  }

  /** Tenants without a market prior, or whose detectors changed since it was computed `olderThanMs` ago. */
  async tenantsDueForPrior(olderThanMs: number): Promise<string[]> {
    const { rows } = await this.db.pool.query<{ tenant_id: string }>(
      `SELECT DISTINCT d.tenant_id FROM ticker_detectors d
       LEFT JOIN market_priors p ON p.tenant_id = d.tenant_id
       WHERE p.tenant_id IS NULL
          OR (p.updated_at < now() - make_interval(secs => $1) AND d.updated_at > p.updated_at)
       ORDER BY d.tenant_id`,
      [olderThanMs / 1000],
    );
    return rows.map((r) => r.tenant_id);
  }

  /** Every baseline of the tenant's tickers (what its market prior is learned from). */
  async baselinesOf(tenantId: string): Promise<TickerBaseline[]> {
    const { rows } = await this.db.pool.query<{ baseline: TickerBaseline }>(
      `SELECT state->'baseline' AS baseline FROM ticker_detectors WHERE tenant_id = $1`,
      [tenantId],
    );
    return rows.map((r) => r.baseline);
  }

  async saveMarketPrior(tenantId: string, prior: MarketPrior): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO market_priors (tenant_id, mean, concentration, tickers, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (tenant_id) DO UPDATE SET mean = EXCLUDED.mean, concentration = EXCLUDED.concentration,
         tickers = EXCLUDED.tickers, updated_at = now()`,
      [tenantId, prior.mean, prior.concentration, prior.tickers],
    );
  }

  /** The detector of one ticker, for the API (undefined: never seen). */
  async detector(tenantId: string, ticker: string): Promise<DetectorState | undefined> {
    const { rows } = await this.db.pool.query<{ state: DetectorState }>(
      'SELECT state FROM ticker_detectors WHERE tenant_id = $1 AND ticker = $2',
      [tenantId, ticker],
    );
    return rows[0]?.state;
  }

  async insertLate(tx: Queryable, rows: readonly LateRow[]): Promise<void> {
    if (rows.length === 0) return;
    const records = rows.map((r) => ({
      event_id: r.eventId,
      tenant_id: r.tenantId,
      ticker: r.ticker,
      article_id: r.articleId,
      reason: r.reason,
      published_at: iso(r.publishedAt),
      watermark: iso(r.watermark),
      label: r.label,
      prob_negative: r.probNegative,
      prob_neutral: r.probNeutral,
      prob_positive: r.probPositive,
      model_version: r.modelVersion,
      headline: r.headline,
    }));
    await tx.query(
      `INSERT INTO late_records (event_id, tenant_id, ticker, article_id, reason, published_at, watermark, label,
         prob_negative, prob_neutral, prob_positive, model_version, headline)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, tenant_id text, ticker text,
         article_id text, reason text, published_at timestamptz, watermark timestamptz, label text,
         prob_negative float8, prob_neutral float8, prob_positive float8, model_version text, headline text)
       ON CONFLICT (event_id) DO NOTHING`,
      [JSON.stringify(records)],
    );
  }

  /** Event ids older than the retention cannot be redelivered any more (the topic has dropped them). */
  async purgeProcessedEvents(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.db.pool.query(
      `DELETE FROM processed_events WHERE processed_at < now() - make_interval(secs => $1)`,
      [olderThanMs / 1000],
    );
    return rowCount ?? 0;
  }

  // ---- reads for the HTTP API ----

  /** Windows of one ticker and size in [from, to), oldest first; the latest `limit` when unbounded. */
  async series(q: {
    tenantId: string;
    ticker: string;
    size: string;
    from?: number;
    to?: number;
    limit: number;
  }): Promise<StoredWindow[]> {
    const { rows } = await this.db.pool.query<WindowDbRow>(
      `SELECT * FROM (
         SELECT ${WINDOW_COLUMNS} FROM windows
         WHERE tenant_id = $1 AND ticker = $2 AND window_size = $3
           AND ($4::timestamptz IS NULL OR window_end > $4) AND ($5::timestamptz IS NULL OR window_start < $5)
         ORDER BY window_start DESC LIMIT $6) w
       ORDER BY window_start`,
      [q.tenantId, q.ticker, q.size, iso(q.from ?? null), iso(q.to ?? null), q.limit],
    );
    return rows.map(toWindow);
  }

  /** Each ticker's latest window of the size, ranked by its negative evidence (strongest first). */
  async ranking(q: { tenantId: string; size: string; limit: number }): Promise<RankedTicker[]> {
    const { rows } = await this.db.pool.query<
      WindowDbRow & {
        watermark: Date | null;
        alert_id: string | null;
        alert_direction: Direction | null;
        alert_severity: string | null;
        alert_raised_at: Date | null;
      }
    >(
      `SELECT w.*, t.watermark, a.alert_id, a.direction AS alert_direction, a.severity AS alert_severity,
         a.raised_at AS alert_raised_at
       FROM ticker_watermarks t
       CROSS JOIN LATERAL (
         SELECT ${WINDOW_COLUMNS} FROM windows w
         WHERE w.tenant_id = t.tenant_id AND w.ticker = t.ticker AND w.window_size = $2
         ORDER BY w.window_start DESC LIMIT 1) w
       LEFT JOIN LATERAL (
         SELECT alert_id, direction, severity, raised_at FROM alerts a
         WHERE a.tenant_id = t.tenant_id AND a.ticker = t.ticker ORDER BY a.seq DESC LIMIT 1) a ON true
       WHERE t.tenant_id = $1
       ORDER BY (w.negative_test->>'evidence')::float8 DESC NULLS LAST, w.volume DESC, t.ticker
       LIMIT $3`,
      [q.tenantId, q.size, q.limit],
    );
    return rows.map((r) => ({
      window: toWindow(r),
      watermark: r.watermark?.getTime() ?? null,
      lastAlert:
        r.alert_id && r.alert_direction && r.alert_severity && r.alert_raised_at
          ? {
              alertId: r.alert_id,
              direction: r.alert_direction,
              severity: r.alert_severity,
              raisedAt: r.alert_raised_at.getTime(),
            }
          : null,
    }));
  }

  /** Counted volume and late records of a ticker (operators reconcile against what was sent). */
  async totals(
    tenantId: string,
    ticker: string,
  ): Promise<{ byWindow: Record<string, number>; late: number }> {
    const { rows } = await this.db.pool.query<{ window_size: string; volume: string }>(
      `SELECT window_size, sum(volume)::text AS volume FROM windows WHERE tenant_id = $1 AND ticker = $2
       GROUP BY window_size`,
      [tenantId, ticker],
    );
    const { rows: late } = await this.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM late_records WHERE tenant_id = $1 AND ticker = $2',
      [tenantId, ticker],
    );
    return {
      byWindow: Object.fromEntries(rows.map((r) => [r.window_size, Number(r.volume)])),
      late: late[0]?.n ?? 0,
    };
  }
}
