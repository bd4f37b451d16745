import { ConfigError, loadConfig, platformEnv, z } from '@mercato/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { featureEnv } from './feature.config';

const schema = z.object({ ...platformEnv(8082), ...featureEnv });
const base = { DATABASE_URL: 'postgres://u@db/mercato' };
const dir = mkdtempSync(join(tmpdir(), 'feature-cfg-'));

describe('feature configuration', () => {
  it('leaves the dictionary unset (the shipped default applies) and partitions three years back', () => {
    const config = loadConfig(schema, base);
    expect(config.TICKER_DICTIONARY).toBeUndefined();
    expect(config.ARTICLE_PARTITION_PAST_DAYS).toBe(1095);
  });

  it('keeps 50 recent items and decays popularity over a week and trending over six hours by default', () => {
    const config = loadConfig(schema, base);
    expect([
      config.RECENT_ITEMS_MAX,
      config.POPULAR_HALF_LIFE_HOURS,
      config.TRENDING_HALF_LIFE_HOURS,
    ]).toEqual([50, 168, 6]);
    expect(() => loadConfig(schema, { ...base, TRENDING_HALF_LIFE_HOURS: '0' })).toThrow(
      /TRENDING_HALF_LIFE_HOURS/,
    );
    expect(() => loadConfig(schema, { ...base, RECENT_ITEMS_MAX: 'many' })).toThrow(/RECENT_ITEMS_MAX/);
  });

  it('reads the dictionary from TICKER_DICTIONARY_FILE', () => {
    const file = join(dir, 'tickers.json');
    writeFileSync(file, JSON.stringify({ ACME: ['Acme Corp', 'Acme'] }));
    expect(loadConfig(schema, { ...base, TICKER_DICTIONARY_FILE: file }).TICKER_DICTIONARY).toEqual({
      ACME: ['Acme Corp', 'Acme'],
    });
  });

  it('stops start-up naming the variable when the file is missing or its content is wrong', () => {
    expect(() => loadConfig(schema, { ...base, TICKER_DICTIONARY_FILE: join(dir, 'missing.json') })).toThrow(
      /TICKER_DICTIONARY_FILE: cannot read .*ENOENT/,
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "ACME": "Acme Corp" }');
    let error: unknown;
    try {
      loadConfig(schema, { ...base, TICKER_DICTIONARY_FILE: bad });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/TICKER_DICTIONARY: ACME: .*array/);
  });
});
