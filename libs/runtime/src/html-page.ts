// A service's self-contained web page (the monitor's dashboard, the training service's runs page):
// one HTML file with vanilla JS and inline SVG, no build step and nothing from another origin, the
// look and helpers every page shares (page-kit.html) put in at its `<!-- __PAGE_KIT__ -->`, its
// configuration injected as inert JSON, served with a strict Content-Security-Policy that allows
// only the page's own inline scripts (by hash) and calls to the service that serves it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyReply } from 'fastify';

export interface HtmlPage {
  html: string;
  csp: string;
}

const PAGE_KIT = '<!-- __PAGE_KIT__ -->';

/**
 * The template with the page kit in and `placeholder` replaced by `config` as JSON, and the policy
 * for its scripts.
 */
export function renderHtmlPage(template: string, placeholder: string, config: unknown): HtmlPage {
  if (!template.includes(PAGE_KIT)) throw new Error(`a page template needs ${PAGE_KIT} in its <head>`);
  const kit = readFileSync(join(__dirname, 'page-kit.html'), 'utf8');
  // JSON inside a <script> element: "<" is escaped so no value can close the element.
  const html = template
    .replace(PAGE_KIT, () => kit)
    .replace(placeholder, () => JSON.stringify(config).replace(/</g, '\\u003c'));
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

/** Answers with the page and its headers (a controller returns what this returns). */
export function sendHtmlPage(reply: FastifyReply, page: HtmlPage): string {
  void reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', page.csp);
  return page.html;
}
