// Postgres access for alerts: inserted in the transaction of the batch that raised them (under a
// transaction-level advisory lock, so `seq` order is commit order and the live stream can poll
// "seq > n" without skipping one), the recent alerts the cooldown looks at, the Kafka outbox state,
// and the queries of the HTTP API and the live stream.
import { Injectable } from '@nestjs/common';
import { Database, type Outbox, type Queryable } from '@mercato/db';
import type { Direction, Severity } from './alert-rules';
import type { BaselineSource } from './baseline';
import { tickerKey, type TickerKey } from './sentiment-window.repository';
import type { AlertMark, RunModel } from './surge';
import type { Evidence } from './window-aggregate';

/** The baseline an alert was measured against: the expected share of the direction's labels and its band. */
export interface AlertBaseline {
  mean: number;
  std: number;
  /** null for alerts raised before the surge test. */
  low: number | null;
  high: number | null;
  source: BaselineSource;
  /** Effective articles of the ticker's own history behind it. */
  articles: number | null;
  /** Versions of the windows the ticker's baseline was learned from. */
  versions: string[];
}

/** The surge test's figures when the alert was raised. */
export interface AlertTest {
  /** Evidence of a surge: the natural log of the likelihood ratio. */
  evidence: number;
  /** The evidence the alert's severity needed on this ticker, and every severity's. */
  threshold: number;
  thresholds: Record<Severity, number>;
  /** Event time of the first article of the evidence, and of the one that raised the alert. */
  since: number;
  at: number;
  articles: number;
  directionArticles: number;
  surgeShare: number;
  horizonMs: number;
}

/** The versions behind the evidence and whether it was compared across versions. */
export interface AlertModels {
  acrossVersions: boolean;
  /** Says which versions were compared and how; null when one version scored the baseline and the evidence. */
  note: string | null;
  confusion: RunModel[];
}

export interface NewAlert extends TickerKey {
  alertId: string;
  windowSize: string;
  windowStart: number;
  windowEnd: number;
  direction: Direction;
  severity: Severity;
  /** Share of the evidence's articles labelled in the direction. */
  share: number;
  baseline: AlertBaseline;
  /** How far the share is from the baseline, in counts: (k − n·mean) / √(n·mean·(1 − mean)). */
  z: number;
  /** Articles the evidence rests on. */
  volume: number;
  /** null for alerts raised before the surge test. */
  test: AlertTest | null;
  modelVersions: string[];
  models: AlertModels | null;
  /** The tenant's rules version (0: the deployment's rules); null before versioned rules. */
  rulesVersion: number | null;
  evidence: Evidence[];
  upgradeOf: string | null;
}

/** The article whose record completed an alert, and that record's W3C trace context. */
export interface CompletedBy {
  articleId: string;
  traceparent: string | null;
}

export interface RaisedAlert extends NewAlert {
  completedBy: CompletedBy | null;
}

export interface AlertRecord extends RaisedAlert {
  seq: number;
  raisedAt: number;
}

interface AlertDbRow {
  alert_id: string;
  seq: string;
  tenant_id: string;
  ticker: string;
  window_size: string;
  window_start: Date;
  window_end: Date;
  direction: Direction;
  severity: Severity;
  share: number;
  baseline_mean: number;
  baseline_std: number;
  baseline_source: BaselineSource;
  baseline_band: { low: number; high: number; articles: number; versions: string[] } | null;
  z: number;
  volume: number;
  test: AlertTest | null;
  model_versions: string[];
  models: AlertModels | null;
  rules_version: number | null;
  evidence: Evidence[];
  upgrade_of: string | null;
  raised_at: Date;
  completed_by_article: string | null;
  trace_parent: string | null;
}

const ALERT_COLUMNS = `alert_id, seq::text AS seq, tenant_id, ticker, window_size, window_start, window_end, direction,
  severity, share, baseline_mean, baseline_std, baseline_source, baseline_band, z, volume, test, model_versions,
  models, rules_version, evidence, upgrade_of, raised_at, completed_by_article, trace_parent`;

const toAlert = (r: AlertDbRow): AlertRecord => ({
  alertId: r.alert_id,
  seq: Number(r.seq),
  tenantId: r.tenant_id,
  ticker: r.ticker,
  windowSize: r.window_size,
  windowStart: r.window_start.getTime(),
  windowEnd: r.window_end.getTime(),
  direction: r.direction,
  severity: r.severity,
  share: r.share,
  baseline: {
    mean: r.baseline_mean,
    std: r.baseline_std,
    low: r.baseline_band?.low ?? null,
    high: r.baseline_band?.high ?? null,
    source: r.baseline_source,
    articles: r.baseline_band?.articles ?? null,
    versions: r.baseline_band?.versions ?? [],
  },
  z: r.z,
  volume: r.volume,
  test: r.test,
  modelVersions: r.model_versions,
  models: r.models,
  rulesVersion: r.rules_version,
  evidence: r.evidence,
  upgradeOf: r.upgrade_of,
  raisedAt: r.raised_at.getTime(),
  completedBy:
    r.completed_by_article === null
      ? null
      : { articleId: r.completed_by_article, traceparent: r.trace_parent },
});

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export interface AlertQuery {
  tenantId: string;
  ticker?: string;
  direction?: Direction;
  /** Window start bounds (event time). */
  from?: number;
  to?: number;
  limit: number;
}

@Injectable()
export class AlertRepository {
  constructor(private readonly db: Database) {}

  /** Alerts of the tickers whose window ends after `since`, by tickerKey (what the cooldown compares to). */
  async recentMarks(
    tx: Queryable,
    keys: readonly TickerKey[],
    since: number,
  ): Promise<Map<string, AlertMark[]>> {
    const { rows } = await tx.query<{
      tenant_id: string;
      ticker: string;
      alert_id: string;
      direction: Direction;
      severity: Severity;
      window_start: Date;
      window_end: Date;
    }>(
      `SELECT tenant_id, ticker, alert_id, direction, severity, window_start, window_end FROM alerts
       WHERE (tenant_id, ticker) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND window_end > $3`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.ticker), iso(since)],
    );
    const marks = new Map<string, AlertMark[]>();
    for (const r of rows) {
      const key = tickerKey({ tenantId: r.tenant_id, ticker: r.ticker });
      const list = marks.get(key) ?? [];
      list.push({
        alertId: r.alert_id,
        direction: r.direction,
        severity: r.severity,
        windowStart: r.window_start.getTime(),
        windowEnd: r.window_end.getTime(),
      });
      marks.set(key, list);
    }
    return marks;
  }

  /** Inserts the alerts (an id already present is skipped) and returns those inserted. */
  async insert(tx: Queryable, alerts: readonly RaisedAlert[]): Promise<AlertRecord[]> {
    if (alerts.length === 0) return [];
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('sentiment_monitor.alerts', 0))`);
    const records = alerts.map((a) => ({
      alert_id: a.alertId,
      tenant_id: a.tenantId,
      ticker: a.ticker,
      window_size: a.windowSize,
      window_start: iso(a.windowStart),
      window_end: iso(a.windowEnd),
      direction: a.direction,
      severity: a.severity,
      share: a.share,
      baseline_mean: a.baseline.mean,
      baseline_std: a.baseline.std,
      baseline_source: a.baseline.source,
      baseline_band:
        a.baseline.low === null
          ? null
          : {
              low: a.baseline.low,
              high: a.baseline.high,
              articles: a.baseline.articles,
              versions: a.baseline.versions,
            },
      z: a.z,
      volume: a.volume,
      test: a.test,
      model_versions: a.modelVersions,
      models: a.models,
      rules_version: a.rulesVersion,
      evidence: a.evidence,
      upgrade_of: a.upgradeOf,
      completed_by_article: a.completedBy?.articleId ?? null,
      trace_parent: a.completedBy?.traceparent ?? null,
    }));
    const { rows } = await tx.query<AlertDbRow>(
      `INSERT INTO alerts (alert_id, tenant_id, ticker, window_size, window_start, window_end, direction, severity,
         share, baseline_mean, baseline_std, baseline_source, baseline_band, z, volume, test, model_versions, models,
         rules_version, evidence, upgrade_of, completed_by_article, trace_parent)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(alert_id uuid, tenant_id text, ticker text,
         window_size text, window_start timestamptz, window_end timestamptz, direction text, severity text,
         share float8, baseline_mean float8, baseline_std float8, baseline_source text, baseline_band jsonb,
         z float8, volume integer, test jsonb, model_versions text[], models jsonb, rules_version integer,
         evidence jsonb, upgrade_of uuid, completed_by_article text, trace_parent text)
       ON CONFLICT (alert_id) DO NOTHING
       RETURNING ${ALERT_COLUMNS}`,
      [JSON.stringify(records)],
    );
    return rows.map(toAlert).sort((a, b) => a.seq - b.seq);
  }

  async list(q: AlertQuery): Promise<AlertRecord[]> {
    const { rows } = await this.db.pool.query<AlertDbRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts
       WHERE tenant_id = $1 AND ($2::text IS NULL OR ticker = $2) AND ($3::text IS NULL OR direction = $3)
         AND ($4::timestamptz IS NULL OR window_end > $4) AND ($5::timestamptz IS NULL OR window_start < $5)
       ORDER BY seq DESC LIMIT $6`,
      [q.tenantId, q.ticker ?? null, q.direction ?? null, iso(q.from), iso(q.to), q.limit],
    );
    return rows.map(toAlert);
  }

  async get(tenantId: string, alertId: string): Promise<AlertRecord | undefined> {
    const { rows } = await this.db.pool.query<AlertDbRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE tenant_id = $1 AND alert_id = $2`,
      [tenantId, alertId],
    );
    return rows[0] && toAlert(rows[0]);
  }

  /** Alerts by id, of any tenant (what deliveries and other work already claimed name). */
  async byIds(alertIds: readonly string[]): Promise<Map<string, AlertRecord>> {
    if (alertIds.length === 0) return new Map();
    const { rows } = await this.db.pool.query<AlertDbRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE alert_id = ANY($1::uuid[])`,
      [alertIds],
    );
    return new Map(rows.map((r) => [r.alert_id, toAlert(r)]));
  }

  /** Alerts after a stream position, oldest first (live stream and Last-Event-ID replay). */
  async after(seq: number, limit: number): Promise<AlertRecord[]> {
    const { rows } = await this.db.pool.query<AlertDbRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [seq, limit],
    );
    return rows.map(toAlert);
  }

  async lastSeq(): Promise<number> {
    const { rows } = await this.db.pool.query<{ seq: string | null }>(
      'SELECT max(seq)::text AS seq FROM alerts',
    );
    return Number(rows[0]?.seq ?? 0);
  }

  /** The alerts table as the outbox the relay of @mercato/db publishes, in raise order. */
  readonly outbox: Outbox<AlertRecord> = {
    lock: 'sentiment_monitor.alert_relay',
    pending: async (tx, limit) =>
      (
        await tx.query<AlertDbRow>(
          `SELECT ${ALERT_COLUMNS} FROM alerts WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
          [limit],
        )
      ).rows.map(toAlert),
    markPublished: async (tx, alerts) => {
      await tx.query(
        `UPDATE alerts SET published_at = now(), publish_attempts = publish_attempts + 1, publish_error = NULL
         WHERE alert_id = ANY($1::uuid[])`,
        [alerts.map((a) => a.alertId)],
      );
    },
    markFailed: async (tx, alerts, error) => {
      await tx.query(
        `UPDATE alerts SET publish_attempts = publish_attempts + 1, publish_error = $2
         WHERE alert_id = ANY($1::uuid[])`,
        [alerts.map((a) => a.alertId), error],
      );
    },
    traceparentOf: (alert) => alert.completedBy?.traceparent ?? null,
  };
}
