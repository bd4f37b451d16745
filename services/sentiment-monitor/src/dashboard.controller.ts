// The dashboard at /: one self-contained HTML page (dashboard.html, vanilla JS and inline SVG, no
// build step, nothing fetched from another origin) with the configured windows injected. A strict
// Content-Security-Policy allows only this page's own script (by hash) and calls to this service.
import { Public } from '@mercato/auth';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SERVICE_CONFIG } from '@mercato/runtime';
import type { FastifyReply } from 'fastify';
import type { MonitorConfig } from './monitor.config';

const REFRESH_MS = 5_000;

export function renderDashboard(
  template: string,
  config: { windows: string[]; refreshMs: number },
): {
  html: string;
  csp: string;
} {
  // JSON inside a <script> element: "<" is escaped so no value can close the element.
  const html = template.replace('__MONITOR_CONFIG__', JSON.stringify(config).replace(/</g, '\\u003c'));
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (m) =>
      `'sha256-${createHash('sha256')
        .update(m[1] as string)
        .digest('base64')}'`,
  );
  const csp = [
    "default-src 'none'",
    `script-src ${scripts.join(' ')}`,
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

@ApiExcludeController()
@Public()
@Controller()
export class DashboardController {
  private readonly page: { html: string; csp: string };

  constructor(@Inject(SERVICE_CONFIG) config: MonitorConfig) {
    this.page = renderDashboard(readFileSync(join(__dirname, 'dashboard.html'), 'utf8'), {
      windows: config.WINDOWS.map((w) => w.label),
      refreshMs: REFRESH_MS,
    });
  }

  @Get()
  dashboard(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', this.page.csp);
    return this.page.html;
  }
}
