// The read side of the HTTP API: a ticker's window series with its totals, tickers ranked by their
// current negative surge, and alerts — mapped to the API's views.
import { Inject, Injectable } from '@nestjs/common';
import { notFound, SERVICE_CONFIG } from '@mercato/runtime';
import type { Direction } from './alert-rules';
import { AlertRepository } from './alert.repository';
import {
  toAlertView,
  toRankedTicker,
  toWindowPoint,
  type AlertView,
  type RankedTickerView,
  type SeriesView,
} from './api.views';
import type { MonitorConfig } from './monitor.config';
import { SentimentWindowRepository } from './sentiment-window.repository';

@Injectable()
export class SentimentQueryService {
  constructor(
    private readonly windows: SentimentWindowRepository,
    private readonly alerts: AlertRepository,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorConfig,
  ) {}

  get windowSizes(): string[] {
    return this.config.WINDOWS.map((w) => w.label);
  }

  async series(
    tenantId: string,
    ticker: string,
    q: { window: string; from?: number; to?: number; limit: number },
  ): Promise<SeriesView> {
    const [items, totals] = await Promise.all([
      this.windows.series({ tenantId, ticker, size: q.window, from: q.from, to: q.to, limit: q.limit }),
      this.windows.totals(tenantId, ticker),
    ]);
    return {
      ticker,
      window: q.window,
      items: items.map(toWindowPoint),
      totals: { counted: totals.byWindow[q.window] ?? 0, late: totals.late },
    };
  }

  async ranking(tenantId: string, q: { window: string; limit: number }): Promise<RankedTickerView[]> {
    const rows = await this.windows.ranking({
      tenantId,
      size: q.window,
      limit: q.limit,
    });
    return rows.map(toRankedTicker);
  }

  async listAlerts(
    tenantId: string,
    q: { ticker?: string; direction?: Direction; from?: number; to?: number; limit: number },
  ): Promise<AlertView[]> {
    const rows = await this.alerts.list({ ...q, tenantId });
    return rows.map(toAlertView);
  }

  async alert(tenantId: string, alertId: string): Promise<AlertView> {
    const row = await this.alerts.get(tenantId, alertId);
    if (!row) throw notFound(`no alert ${alertId}`);
    return toAlertView(row);
  }
}
