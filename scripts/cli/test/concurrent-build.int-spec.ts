// Every `npx mercato` first brings dist/ up to date (scripts/build.mjs). Two commands started at once
// after a source changed must both work: one rebuilds what changed, the other waits for it instead
// of loading half-written files, and a later command finds nothing to build. Runs the CLI as a user
// does (scripts/cli/bin/mercato, what `npx mercato` executes) on the real broker and database.
import { REPO_ROOT, createTestDatabase, type TestDatabase } from '@mercato/dev-stack';
import { statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliOutcome } from './run-cli';
const OUTPUT = join(REPO_ROOT, 'dist/libs/telemetry/src/health.js');
// Sources every command below loads: the module of the crash seen before builds were locked, and
// the CLI's own entry point.
const TOUCHED = ['libs/telemetry/src/health.ts', 'scripts/cli/src/program.ts'].map((f) => join(REPO_ROOT, f));

let db: TestDatabase;

const mercato = (args: string[]): Promise<CliOutcome> => runCli(args, { env: { DATABASE_URL: db.url } });

const rebuilt = (o: CliOutcome): boolean => /build: \d+ files compiled/.test(o.stderr);

beforeAll(async () => {
  db = await createTestDatabase('cli_build');
});

afterAll(async () => {
  await db?.drop();
});

describe('the build before every command', () => {
  it('lets concurrent commands run after a source changed: one rebuilds, none fails', async () => {
    const now = new Date();
    for (const file of TOUCHED) utimesSync(file, now, now);
    const outcomes = await Promise.all([
      mercato(['keys', 'list', '--json']),
      mercato(['topics', 'create']),
      mercato(['keys', 'list', '--json']),
      mercato(['topics', 'create']),
    ]);
    for (const o of outcomes)
      expect({ code: o.code, stderr: o.code === 0 ? '' : o.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse((outcomes[0] as CliOutcome).stdout)).toHaveProperty('items');
    expect(outcomes.filter(rebuilt)).toHaveLength(1);
  }, 180_000);

  it('builds nothing when nothing changed', async () => {
    const before = statSync(OUTPUT).mtimeMs;
    const o = await mercato(['keys', 'list', '--json']);
    expect(o.code).toBe(0);
    expect(o.stderr).not.toMatch(/build:/);
    expect(statSync(OUTPUT).mtimeMs).toBe(before);
  }, 60_000);
});
