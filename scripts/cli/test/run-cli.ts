// Runs the `mercato` command in specs as a process, the way a user does: through
// scripts/cli/bin/mercato (what `npx mercato` executes: scripts/run.sh, then the CLI), or straight
// from the built entry point when the wrapper is not what a spec is about.
import { REPO_ROOT } from '@mercato/dev-stack';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface CliOutcome {
  /** The exit code (0: success). */
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string>; via?: 'npx' | 'node' } = {},
): Promise<CliOutcome> {
  const [file, argv] =
    options.via === 'node'
      ? [process.execPath, [join(REPO_ROOT, 'dist/scripts/cli/src/main.js'), ...args]]
      : [join(REPO_ROOT, 'scripts/cli/bin/mercato'), args];
  return new Promise((resolve) =>
    execFile(
      file,
      argv,
      { env: { ...process.env, ...options.env }, cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}
