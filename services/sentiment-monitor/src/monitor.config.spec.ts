import { loadConfig, platformEnv, z } from '@mercato/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { egressOptions, monitorEnv, resolveMonitorSettings, type MonitorConfig } from './monitor.config';

const schema = z.object({ ...platformEnv(8086), ...monitorEnv });
const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' };

describe('sentiment monitor configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig(schema, base);
    expect(c.WINDOWS.map((w) => w.label)).toEqual(['5m', '1h']);
    expect(c.ALLOWED_LATENESS).toBe(600_000);
    expect(c.BASELINE_MEMORY_ARTICLES).toBe(300);
    expect(c.MARKET_PRIOR_REFRESH).toBe(60_000);
    expect(c.MODEL_REGISTRY_URL).toBe('http://127.0.0.1:8084');
    expect(resolveMonitorSettings(c as MonitorConfig).rules.defaults).toMatchObject({
      minVolume: 4,
      window: '5m',
    });
  });

  it('names each bad variable and what is wrong', () => {
    expect(() =>
      loadConfig(schema, {
        ...base,
        WINDOWS: '5m,fortnight',
        ALLOWED_LATENESS: 'soon',
        BASELINE_MEMORY_ARTICLES: '0',
      }),
    ).toThrow(
      /WINDOWS: "fortnight" is not a duration[\s\S]*ALLOWED_LATENESS: "soon" is not a duration[\s\S]*BASELINE_MEMORY_ARTICLES/,
    );
    // ALERT_RULES is checked against WINDOWS once both are read.
    const c = loadConfig(schema, {
      ...base,
      WINDOWS: '5m',
      ALERT_RULES: '{"defaults": {"minShare": 2, "window": "1h"}}',
    });
    expect(() => resolveMonitorSettings(c as MonitorConfig)).toThrow(
      /ALERT_RULES: defaults\.minShare: must be between 0 and 1; defaults\.window: must be one of the configured windows: 5m/,
    );
  });

  it('reads the rules from ALERT_RULES_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify({ tickers: { ACME: { minVolume: 20 } } }));
    const { rules } = resolveMonitorSettings(
      loadConfig(schema, { ...base, ALERT_RULES_FILE: file }) as MonitorConfig,
    );
    expect(rules.for('ACME').minVolume).toBe(20);
    expect(rules.for('OTHER').minVolume).toBe(4);
  });

  it('reads the webhook egress settings: https by default in production, lists checked entry by entry', () => {
    const egress = (env: Record<string, string>) =>
      egressOptions(loadConfig(schema, { ...base, ...env }) as unknown as MonitorConfig);
    expect(egress({})).toEqual({ httpsOnly: false, allowedHosts: [], allowedCidrs: [], clusterCidrs: [] });
    expect(egress({ NODE_ENV: 'production' }).httpsOnly).toBe(true);
    expect(egress({ NODE_ENV: 'production', WEBHOOK_HTTPS_ONLY: 'false' }).httpsOnly).toBe(false);
    expect(
      egress({
        WEBHOOK_ALLOWED_HOSTS: 'hooks.corp.example, *.corp.example',
        WEBHOOK_CLUSTER_CIDRS: '10.96.0.0/12',
      }),
    ).toMatchObject({
      allowedHosts: ['hooks.corp.example', '*.corp.example'],
      clusterCidrs: ['10.96.0.0/12'],
    });
    expect(() =>
      loadConfig(schema, {
        ...base,
        WEBHOOK_ALLOWED_CIDRS: '127.0.0.1,10.0.0.0/99',
        WEBHOOK_ALLOWED_HOSTS: 'a b',
      }),
    ).toThrow(
      /WEBHOOK_ALLOWED_HOSTS: "a b" is not a host name[\s\S]*WEBHOOK_ALLOWED_CIDRS: "10\.0\.0\.0\/99" is not/,
    );
  });

  it('takes a trace viewer URL with {traceId}, and says what is wrong with another', () => {
    const url = 'https://grafana.example/explore?traceId={traceId}';
    expect(loadConfig(schema, { ...base, TRACE_UI_URL: url }).TRACE_UI_URL).toBe(url);
    expect(loadConfig(schema, base).TRACE_UI_URL).toBeUndefined();
    expect(() => loadConfig(schema, { ...base, TRACE_UI_URL: 'http://jaeger:16686/search' })).toThrow(
      /TRACE_UI_URL: must contain \{traceId\}/,
    );
    expect(() => loadConfig(schema, { ...base, TRACE_UI_URL: 'javascript:alert({traceId})' })).toThrow(
      /TRACE_UI_URL: expected an http\(s\) URL/,
    );
  });
});
