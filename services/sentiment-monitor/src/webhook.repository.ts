// Postgres access for webhooks: subscriptions (the secret is stored to sign with, and only ever
// returned by create), deliveries enqueued in the transaction that raised the alert, and the
// dispatcher's claim/outcome cycle. A claim leases a delivery (next_attempt_at moves past the
// request timeout), so a crash mid-request makes it due again rather than losing it.
import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@mercato/db';
import { severityRank, SEVERITIES, type Direction, type Severity } from './alert-rules';
import { AlertRepository, type AlertRecord } from './alert.repository';

export interface Subscription {
  id: string;
  tenantId: string;
  url: string;
  tickers: string[];
  directions: Direction[];
  minSeverity: Severity;
  description: string;
  createdAt: number;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  id: string;
  subscriptionId: string;
  alertId: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** A claimed delivery with what is needed to send it. */
export interface DeliveryJob {
  id: string;
  attempt: number;
  url: string;
  secret: string;
  alert: AlertRecord;
}

interface SubscriptionRow {
  id: string;
  tenant_id: string;
  url: string;
  tickers: string[];
  directions: Direction[];
  min_severity: Severity;
  description: string;
  created_at: Date;
}

const toSubscription = (r: SubscriptionRow): Subscription => ({
  id: r.id,
  tenantId: r.tenant_id,
  url: r.url,
  tickers: r.tickers,
  directions: r.directions,
  minSeverity: r.min_severity,
  description: r.description,
  createdAt: r.created_at.getTime(),
});

const SUBSCRIPTION_COLUMNS = 'id, tenant_id, url, tickers, directions, min_severity, description, created_at';

@Injectable()
export class WebhookRepository {
  constructor(
    private readonly db: Database,
    private readonly alerts: AlertRepository,
  ) {}

  async create(
    s: Omit<Subscription, 'createdAt'> & { secret: string },
    q: Queryable = this.db.pool,
  ): Promise<Subscription> {
    const { rows } = await q.query<SubscriptionRow>(
      `INSERT INTO webhook_subscriptions (id, tenant_id, url, secret, tickers, directions, min_severity, description)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [s.id, s.tenantId, s.url, s.secret, s.tickers, s.directions, s.minSeverity, s.description],
    );
    return toSubscription(rows[0] as SubscriptionRow);
  }

  async list(tenantId: string): Promise<Subscription[]> {
    const { rows } = await this.db.pool.query<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE tenant_id = $1 ORDER BY created_at, id`,
      [tenantId],
    );
    return rows.map(toSubscription);
  }

  async get(tenantId: string, id: string): Promise<Subscription | undefined> {
    const { rows } = await this.db.pool.query<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0] && toSubscription(rows[0]);
  }

  /** Deletes the subscription and, with it, its deliveries not yet made. */
  async delete(tenantId: string, id: string, q: Queryable = this.db.pool): Promise<boolean> {
    const { rowCount } = await q.query('DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2', [
      tenantId,
      id,
    ]);
    return (rowCount ?? 0) > 0;
  }

  /** One pending delivery per (alert, matching subscription); returns how many were enqueued. */
  async enqueueFor(tx: Queryable, alerts: readonly AlertRecord[]): Promise<number> {
    let enqueued = 0;
    for (const a of alerts) {
      const { rowCount } = await tx.query(
        `INSERT INTO webhook_deliveries (subscription_id, alert_id)
         SELECT id, $1 FROM webhook_subscriptions
         WHERE tenant_id = $2 AND (cardinality(tickers) = 0 OR $3 = ANY(tickers)) AND $4 = ANY(directions)
           AND array_position($5::text[], min_severity) <= $6
         ORDER BY id
         ON CONFLICT (subscription_id, alert_id) DO NOTHING`,
        [a.alertId, a.tenantId, a.ticker, a.direction, SEVERITIES, severityRank(a.severity) + 1],
      );
      enqueued += rowCount ?? 0;
    }
    return enqueued;
  }

  /** Claims up to `limit` due deliveries, leasing each for leaseMs, and counts an attempt. */
  async claimDue(limit: number, leaseMs: number): Promise<DeliveryJob[]> {
    const { rows } = await this.db.pool.query<{
      id: string;
      attempts: number;
      url: string;
      secret: string;
      alert_id: string;
    }>(
      `WITH due AS (
         SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE webhook_deliveries d
       SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
       FROM due, webhook_subscriptions s
       WHERE d.id = due.id AND s.id = d.subscription_id
       RETURNING d.id::text AS id, d.attempts, s.url, s.secret, d.alert_id::text AS alert_id`,
      [limit, leaseMs / 1000],
    );
    // An alert is never deleted while deliveries of it exist (the foreign key), so each is found.
    const alerts = await this.alerts.byIds([...new Set(rows.map((r) => r.alert_id))]);
    return rows.flatMap((r) => {
      const alert = alerts.get(r.alert_id);
      return alert ? [{ id: r.id, attempt: r.attempts, url: r.url, secret: r.secret, alert }] : [];
    });
  }

  async markDelivered(id: string, status: number): Promise<void> {
    await this.db.pool.query(
      `UPDATE webhook_deliveries SET state = 'delivered', last_status = $2, last_error = NULL, delivered_at = now()
       WHERE id = $1`,
      [id, status],
    );
  }

  /** Records a failed attempt: due again after retryInMs, or given up when retryInMs is null. */
  async markFailed(
    id: string,
    status: number | null,
    error: string,
    retryInMs: number | null,
  ): Promise<void> {
    await this.db.pool.query(
      `UPDATE webhook_deliveries SET last_status = $2, last_error = $3,
         state = CASE WHEN $4::float8 IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN $4::float8 IS NULL THEN next_attempt_at
           ELSE now() + make_interval(secs => $4::float8) END
       WHERE id = $1`,
      [id, status, error.slice(0, 2_000), retryInMs === null ? null : retryInMs / 1000],
    );
  }

  async deliveries(tenantId: string, subscriptionId: string, limit: number): Promise<Delivery[]> {
    const { rows } = await this.db.pool.query<{
      id: string;
      subscription_id: string;
      alert_id: string;
      state: DeliveryState;
      attempts: number;
      next_attempt_at: Date;
      last_status: number | null;
      last_error: string | null;
      created_at: Date;
      delivered_at: Date | null;
    }>(
      `SELECT d.id::text AS id, d.subscription_id, d.alert_id, d.state, d.attempts, d.next_attempt_at,
         d.last_status, d.last_error, d.created_at, d.delivered_at
       FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
       WHERE s.tenant_id = $1 AND d.subscription_id = $2 ORDER BY d.id DESC LIMIT $3`,
      [tenantId, subscriptionId, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      subscriptionId: r.subscription_id,
      alertId: r.alert_id,
      state: r.state,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at.getTime(),
      lastStatus: r.last_status,
      lastError: r.last_error,
      createdAt: r.created_at.getTime(),
      deliveredAt: r.delivered_at?.getTime() ?? null,
    }));
  }

  async pendingCount(): Promise<number> {
    const { rows } = await this.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE state = 'pending'`,
    );
    return rows[0]?.n ?? 0;
  }
}
