import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDashboard } from './dashboard.controller';

const template = readFileSync(join(__dirname, 'dashboard.html'), 'utf8');

describe('dashboard page', () => {
  it('injects the configuration as inert JSON', () => {
    const config = {
      windows: ['5m', '1h</script>'],
      labels: ['negative', 'neutral', 'positive'],
      refreshMs: 5000,
      traceUrl: 'http://jaeger:16686/trace/{traceId}',
    };
    const { html } = renderDashboard(template, config);
    const json = /<script type="application\/json" id="config">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(JSON.parse(json ?? '')).toEqual(config);
  });

  it("allows exactly its inline scripts (the page kit's and its own), and no other origin", () => {
    const { html, csp } = renderDashboard(template, {
      windows: ['5m'],
      labels: ['negative'],
      refreshMs: 5000,
      traceUrl: null,
    });
    const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
      (m) =>
        `'sha256-${createHash('sha256')
          .update(m[1] as string)
          .digest('base64')}'`,
    );
    expect(hashes).toHaveLength(2);
    expect(html).toContain('window.mercatoPage = ');
    expect(csp).toContain(`script-src ${hashes.join(' ')};`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(html).not.toMatch(/(src|href)="https?:/);
  });
});
