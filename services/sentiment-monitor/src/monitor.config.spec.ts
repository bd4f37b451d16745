import { loadConfig, platformEnv, z } from '@mercato/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { monitorEnv } from './monitor.config';

const schema = z.object({ ...platformEnv(8086), ...monitorEnv });
const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' };

describe('sentiment monitor configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig(schema, base);
    expect(c.WINDOWS.map((w) => w.label)).toEqual(['5m', '1h']);
    expect(c.ALLOWED_LATENESS).toBe(600_000);
    expect(c.EWMA_ALPHA).toBe(0.2);
    expect(c.ALERT_RULES.defaults.minVolume).toBe(5);
  });

  it('names each bad variable and what is wrong', () => {
    expect(() =>
      loadConfig(schema, {
        ...base,
        WINDOWS: '5m,fortnight',
        ALLOWED_LATENESS: 'soon',
        EWMA_ALPHA: '1.5',
        ALERT_RULES: '{"defaults": {"minShare": 2}}',
      }),
    ).toThrow(
      /WINDOWS: "fortnight" is not a duration[\s\S]*ALLOWED_LATENESS: "soon" is not a duration[\s\S]*EWMA_ALPHA[\s\S]*ALERT_RULES: defaults\.minShare/,
    );
  });

  it('reads the rules from ALERT_RULES_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify({ tickers: { ACME: { minVolume: 20 } } }));
    const c = loadConfig(schema, { ...base, ALERT_RULES_FILE: file });
    expect(c.ALERT_RULES.for('ACME').minVolume).toBe(20);
    expect(c.ALERT_RULES.for('OTHER').minVolume).toBe(5);
  });
});
