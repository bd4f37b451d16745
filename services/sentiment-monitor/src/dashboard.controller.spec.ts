import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDashboard } from './dashboard.controller';

const template = readFileSync(join(__dirname, 'dashboard.html'), 'utf8');

describe('dashboard page', () => {
  it('injects the configuration as inert JSON', () => {
    const { html } = renderDashboard(template, { windows: ['5m', '1h</script>'], refreshMs: 5000 });
    const json = /<script type="application\/json" id="config">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(JSON.parse(json ?? '')).toEqual({ windows: ['5m', '1h</script>'], refreshMs: 5000 });
  });

  it('allows exactly its own inline script, and no other origin', () => {
    const { html, csp } = renderDashboard(template, { windows: ['5m'], refreshMs: 5000 });
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(script).digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(html).not.toMatch(/(src|href)="https?:/);
  });
});
