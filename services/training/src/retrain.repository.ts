// The retraining triggers' state in Postgres (schema `training`): interactions counted once per id,
// per-tenant counters, and retrain requests decided versus published. Survives restarts.
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';

export interface DueRetrain {
  tenantId: string;
  generation: number;
  asOf: Date;
}

/**
 * A published retrain request that never became a job (dead-lettered, or its topic's records lost)
 * stops holding back the next one after this long; a queued request normally starts far sooner.
 */
export const PENDING_REQUEST_TIMEOUT_S = 6 * 3_600;

interface DueRow {
  tenant_id: string;
  generation: number;
  requested_as_of: Date;
}

const toDue = (r: DueRow): DueRetrain => ({
  tenantId: r.tenant_id,
  generation: r.generation,
  asOf: r.requested_as_of,
});

@Injectable()
export class RetrainRepository {
  constructor(private readonly db: Database) {}

  /**
   * Counts interactions not seen before (by tenant and interaction id) into their tenants' counters,
   * in one transaction; returns the tenants whose counters grew.
   */
  async count(interactions: { tenantId: string; interactionId: string }[]): Promise<string[]> {
    if (interactions.length === 0) return [];
    return this.db.transaction(async (client) => {
      const fresh = await client.query<{ tenant_id: string; n: string }>(
        `WITH inserted AS (
           INSERT INTO retrain_seen_interactions (tenant_id, interaction_id)
           SELECT * FROM unnest($1::text[], $2::text[])
           ON CONFLICT DO NOTHING
           RETURNING tenant_id
         )
         SELECT tenant_id, count(*) AS n FROM inserted GROUP BY tenant_id`,
        [interactions.map((i) => i.tenantId), interactions.map((i) => i.interactionId)],
      );
      if (fresh.rows.length === 0) return [];
      await client.query(
        `INSERT INTO retrain_counters (tenant_id, pending)
         SELECT * FROM unnest($1::text[], $2::bigint[])
         ON CONFLICT (tenant_id) DO UPDATE SET pending = retrain_counters.pending + EXCLUDED.pending`,
        [fresh.rows.map((r) => r.tenant_id), fresh.rows.map((r) => r.n)],
      );
      return fresh.rows.map((r) => r.tenant_id);
    });
  }

  /**
   * Decides the retrains that are due (enough new interactions, or the interval passed with at
   * least one) and resets their counters, atomically: of concurrent callers exactly one wins a
   * tenant. A tenant is left alone (its counter keeps growing) while its previous request is not
   * yet published, while that request has not finished (no job yet, or its job running; a request
   * that never became a job stops blocking after PENDING_REQUEST_TIMEOUT_S), and while any other
   * job of the same model runs (one an operator submitted): never two jobs for one model at once.
   */
  async claimDue(options: {
    tenants?: string[];
    afterInteractions: number;
    intervalSeconds: number;
  }): Promise<DueRetrain[]> {
    const rows = await this.db.query<DueRow>(
      `UPDATE retrain_counters
          SET pending = 0, window_started_at = now(), generation = generation + 1, requested_as_of = now()
        WHERE ($1::text[] IS NULL OR tenant_id = ANY($1))
          AND generation = published_generation
          AND pending > 0
          AND NOT EXISTS (
                SELECT 1 FROM jobs j
                 WHERE j.tenant_id = retrain_counters.tenant_id
                   AND j.model_name = 'recommender-' || retrain_counters.tenant_id
                   AND j.status = 'running')
          AND (published_generation = 0
               OR EXISTS (
                    SELECT 1 FROM jobs j
                     WHERE j.request_id = 'recommender-' || retrain_counters.tenant_id || '-retrain-' || published_generation
                       AND j.status <> 'running')
               OR (requested_as_of < now() - make_interval(secs => $4)
                   AND NOT EXISTS (
                         SELECT 1 FROM jobs j
                          WHERE j.request_id = 'recommender-' || retrain_counters.tenant_id || '-retrain-' || published_generation)))
          AND (($2::bigint > 0 AND pending >= $2)
               OR ($3::integer > 0 AND window_started_at <= now() - make_interval(secs => $3)))
        RETURNING tenant_id, generation, requested_as_of`,
      [
        options.tenants ?? null,
        options.afterInteractions,
        options.intervalSeconds,
        PENDING_REQUEST_TIMEOUT_S,
      ],
    );
    return rows.map(toDue);
  }

  /** Requests decided but not published (the process stopped in between). */
  async unpublished(): Promise<DueRetrain[]> {
    const rows = await this.db.query<DueRow>(
      `SELECT tenant_id, generation, requested_as_of FROM retrain_counters WHERE generation > published_generation`,
    );
    return rows.map(toDue);
  }

  async markPublished(tenantId: string, generation: number): Promise<void> {
    await this.db.query(
      `UPDATE retrain_counters SET published_generation = GREATEST(published_generation, $2) WHERE tenant_id = $1`,
      [tenantId, generation],
    );
  }

  async pruneSeen(olderThanSeconds: number): Promise<number> {
    const rows = await this.db.query<{ n: string }>(
      `WITH gone AS (DELETE FROM retrain_seen_interactions WHERE seen_at < now() - make_interval(secs => $1) RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [olderThanSeconds],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
