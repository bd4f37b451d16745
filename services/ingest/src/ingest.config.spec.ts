import { loadConfig, z } from '@mercato/config';
import { platformEnv } from '@mercato/config';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { DEVELOPMENT_PSEUDONYMIZATION_KEY } from '@mercato/privacy';
import { ingestEnv, maxRequestBytesFromEnv, resolveIngestSettings } from './ingest.config';

const schema = z.object({ ...platformEnv(8081), ...ingestEnv });
const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' };

function capture() {
  const lines: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  return { logger, lines };
}

describe('ingest configuration', () => {
  it('has the documented defaults', () => {
    const { logger } = capture();
    const settings = resolveIngestSettings(
      loadConfig(schema, { ...base, PSEUDONYMIZATION_KEY: 'k'.repeat(32) }),
      logger,
    );
    expect(settings).toMatchObject({
      maxBatch: 1000,
      maxRequestBytes: 5 * 1024 * 1024,
      maxBodyChars: 100_000,
      maxFutureSkewS: 300,
      dedupeWindowHours: 72,
      pseudonymizationKey: 'k'.repeat(32),
    });
    expect(maxRequestBytesFromEnv({})).toBe(5 * 1024 * 1024);
    expect(maxRequestBytesFromEnv({ INGEST_MAX_REQUEST_BYTES: '1024' })).toBe(1024);
  });

  it('uses the development key outside production, with a warning', () => {
    const { logger, lines } = capture();
    const settings = resolveIngestSettings(loadConfig(schema, base), logger);
    expect(settings.pseudonymizationKey).toBe(DEVELOPMENT_PSEUDONYMIZATION_KEY);
    expect(lines.join('')).toMatch(/development key/);
  });

  it('refuses to start in production without a key, and rejects a short key', () => {
    const { logger } = capture();
    expect(() =>
      resolveIngestSettings(loadConfig(schema, { ...base, NODE_ENV: 'production' }), logger),
    ).toThrow(/PSEUDONYMIZATION_KEY: required when NODE_ENV=production/);
    expect(() => loadConfig(schema, { ...base, PSEUDONYMIZATION_KEY: 'short' })).toThrow(
      /PSEUDONYMIZATION_KEY: must be at least 32 characters \(got "<redacted>"\)/,
    );
  });
});
