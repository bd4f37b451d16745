// Postgres access for the latest monitoring figures of each tenant's models (table model_signals).
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';

export interface ModelSignal {
  model: string;
  signal: string;
  version: string;
  value: number;
  /** The event named this signal among those that crossed their threshold. */
  drifted: boolean;
  threshold: number;
  sample: number;
  at: Date;
}

interface Row {
  model_name: string;
  signal: string;
  version: string;
  value: number;
  drifted: boolean;
  threshold: number;
  sample: number;
  window_end: Date;
}

@Injectable()
export class ModelSignalsRepository {
  constructor(private readonly db: Database) {}

  /** Keeps each signal's figure from the latest window: an older window never replaces a newer one. */
  async record(tenantId: string, signals: readonly ModelSignal[]): Promise<void> {
    if (signals.length === 0) return;
    await this.db.query(
      `INSERT INTO model_signals (tenant_id, model_name, signal, version, value, drifted, threshold, sample, window_end)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::bool[], $7::float8[], $8::int[], $9::timestamptz[])
       ON CONFLICT (tenant_id, model_name, signal) DO UPDATE SET
         version = EXCLUDED.version, value = EXCLUDED.value, drifted = EXCLUDED.drifted,
         threshold = EXCLUDED.threshold, sample = EXCLUDED.sample, window_end = EXCLUDED.window_end
       WHERE model_signals.window_end <= EXCLUDED.window_end`,
      [
        tenantId,
        signals.map((s) => s.model),
        signals.map((s) => s.signal),
        signals.map((s) => s.version),
        signals.map((s) => s.value),
        signals.map((s) => s.drifted),
        signals.map((s) => s.threshold),
        signals.map((s) => s.sample),
        signals.map((s) => s.at),
      ],
    );
  }

  async latest(tenantId: string): Promise<ModelSignal[]> {
    const rows = await this.db.query<Row>(
      `SELECT model_name, signal, version, value, drifted, threshold, sample, window_end
         FROM model_signals WHERE tenant_id = $1 ORDER BY model_name, signal`,
      [tenantId],
    );
    return rows.map((r) => ({
      model: r.model_name,
      signal: r.signal,
      version: r.version,
      value: r.value,
      drifted: r.drifted,
      threshold: r.threshold,
      sample: r.sample,
      at: r.window_end,
    }));
  }
}
