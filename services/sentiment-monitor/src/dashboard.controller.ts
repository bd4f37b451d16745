// The dashboard at /: one self-contained HTML page (dashboard.html, vanilla JS and inline SVG, no
// build step, nothing fetched from another origin) with the configured windows, the sentiment
// classes an analyst can correct an evidence label to, and trace viewer (TRACE_UI_URL, which alerts
// link to) injected. A strict
// Content-Security-Policy allows only this page's own script (by hash) and calls to this service.
import { Public } from '@mercato/auth';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { renderHtmlPage, sendHtmlPage, SERVICE_CONFIG, type HtmlPage } from '@mercato/runtime';
import type { FastifyReply } from 'fastify';
import type { MonitorConfig } from './monitor.config';
import { LABELS } from './window-aggregate';

const REFRESH_MS = 5_000;

export function renderDashboard(
  template: string,
  config: { windows: string[]; labels: readonly string[]; refreshMs: number; traceUrl: string | null },
): HtmlPage {
  return renderHtmlPage(template, '__MONITOR_CONFIG__', config);
}

@ApiExcludeController()
@Public()
@Controller()
export class DashboardController {
  private readonly page: HtmlPage;

  constructor(@Inject(SERVICE_CONFIG) config: MonitorConfig) {
    this.page = renderDashboard(readFileSync(join(__dirname, 'dashboard.html'), 'utf8'), {
      windows: config.WINDOWS.map((w) => w.label),
      labels: LABELS,
      refreshMs: REFRESH_MS,
      traceUrl: config.TRACE_UI_URL ?? null,
    });
  }

  @Get()
  dashboard(@Res({ passthrough: true }) reply: FastifyReply): string {
    return sendHtmlPage(reply, this.page);
  }
}
