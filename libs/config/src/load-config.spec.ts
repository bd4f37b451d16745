import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { platformEnv } from './common';
import { ConfigError, loadConfig } from './load-config';

const schema = z.object(platformEnv(8081));

describe('loadConfig', () => {
  it('applies defaults and parses the shared variables', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgres://u:p@db:5432/mercato',
      KAFKA_BROKERS: 'a:9092, b:9093',
    });
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(config.HTTP_PORT).toBe(8081);
    expect(config.KAFKA_SSL).toBe(false);
    expect(config.KAFKA_SESSION_TIMEOUT_MS).toBe(6_000);
    expect(config.MIGRATE_ON_START).toBe(true);
  });

  it('names every bad variable and what was wrong, without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig(schema, {
        DATABASE_URL: 'mysql://secret@db',
        HTTP_PORT: '99999',
        KAFKA_BROKERS: 'nohostport',
        KAFKA_SSL: 'maybe',
        KAFKA_SESSION_TIMEOUT_MS: '500',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/DATABASE_URL: expected a postgres:\/\/ URL/);
    expect(message).not.toContain('secret');
    expect(message).toMatch(/HTTP_PORT: .*99999/);
    expect(message).toMatch(/KAFKA_BROKERS(\.0)?: expected host:port/);
    expect(message).toMatch(/KAFKA_SSL: expected true or false/);
    expect(message).toMatch(/KAFKA_SESSION_TIMEOUT_MS: must be at least 1000 \(ms\)/);
  });

  it('reports a missing required variable as not set', () => {
    expect(() => loadConfig(schema, {})).toThrow(/DATABASE_URL: .*it is not set/);
  });

  it('reads X_FILE for secrets mounted as files, and says when the file is unreadable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'db'), 'postgres://from-file/db\n');
    expect(loadConfig(schema, { DATABASE_URL_FILE: join(dir, 'db') }).DATABASE_URL).toBe(
      'postgres://from-file/db',
    );
    expect(() => loadConfig(schema, { DATABASE_URL_FILE: join(dir, 'missing') })).toThrow(
      /DATABASE_URL_FILE: cannot read .*ENOENT/,
    );
  });
});
