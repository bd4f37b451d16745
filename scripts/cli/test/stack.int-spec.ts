// The local stack as a user runs it: `mercato up --detach` brings all six services up on the real
// broker and database, each answers its health and metrics endpoints, and `mercato down` stops them.
// Single services are also started with bad configuration and with an unreachable database.
import { REPO_ROOT, portOpen, requireEnv, spawnService } from '@mercato/dev-stack';
import { DEFAULT_PORTS } from '@mercato/config';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'dist/scripts/cli/src/main.js');

async function waitFor(url: string, timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('mercato up / down', () => {
  it('starts all six services ready on Kafka and Postgres, then stops them all', async () => {
    const env = {
      ...process.env,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      DATABASE_URL: requireEnv('DATABASE_URL'),
    };
    const up = await run(process.execPath, [CLI, 'up', '--detach'], { env, cwd: REPO_ROOT });
    expect(up.stdout).toContain('Mercato is up');
    try {
      for (const [name, port] of Object.entries(DEFAULT_PORTS)) {
        const ready = await fetch(`http://127.0.0.1:${port}/healthz/ready`);
        const body = (await ready.json()) as { status: string; checks: Record<string, string> };
        expect({ name, status: ready.status, body }).toMatchObject({
          name,
          status: 200,
          body: { status: 'ok', checks: { postgres: 'ok', kafka: 'ok' } },
        });
        expect((await fetch(`http://127.0.0.1:${port}/healthz/live`)).status).toBe(200);
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        expect(metrics).toContain(`process_cpu_user_seconds_total{service="mercato-${name}"}`);
      }
    } finally {
      const down = await run(process.execPath, [CLI, 'down'], { env, cwd: REPO_ROOT });
      expect(down.stdout).toContain('stopped');
    }
    for (const port of Object.values(DEFAULT_PORTS)) expect(await portOpen('127.0.0.1', port)).toBe(false);
    // The stack's own consumer groups may start with every earlier spec's records behind them.
  }, 420_000);
});

describe('a service process', () => {
  it('refuses to start on bad configuration and names the variable', async () => {
    const svc = spawnService('ingest', {
      HTTP_PORT: 'eighty',
      KAFKA_SSL: 'perhaps',
      DATABASE_URL: requireEnv('DATABASE_URL'),
    });
    expect(await svc.exited).toBe(78);
    expect(svc.output()).toMatch(/HTTP_PORT: .*"eighty"/);
    expect(svc.output()).toMatch(/KAFKA_SSL: expected true or false/);
  });

  it('is live but not ready while Postgres is unreachable, and drains on SIGTERM', async () => {
    const svc = spawnService('feature', {
      HTTP_PORT: '18082',
      DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:1/none',
      MIGRATE_ON_START: 'false',
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    });
    try {
      expect((await waitFor('http://127.0.0.1:18082/healthz/live')).status).toBe(200);
      const ready = await fetch('http://127.0.0.1:18082/healthz/ready');
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { checks: Record<string, string> };
      expect(body.checks.postgres).toMatch(/ECONNREFUSED/);
      expect(body.checks.kafka).toBe('ok');
    } finally {
      svc.child.kill('SIGTERM');
    }
    expect(await svc.exited).toBe(0);
    expect(svc.output()).toContain('"msg":"stopped"');
  }, 60_000);
});
