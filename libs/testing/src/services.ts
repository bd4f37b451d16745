// Starts a built service (dist/services/<name>) as a real process for end-to-end specs, on its own
// port and database, and waits until it is ready. Services run with AUTH_MODE=off unless the spec
// passes AUTH_MODE: most specs test what a service does, not who may call it, and a development
// principal (tenant TENANT_ID, or the X-Mercato-Tenant header, with every scope) keeps them short;
// the auth-*, *-tenancy* and fuzz specs turn authentication on and provision keys with provisionApiKey.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './infra';

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM (graceful drain); resolves with the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<number | null>;
}

export function spawnService(name: string, env: Record<string, string | undefined>): ServiceProcess {
  const port = env.HTTP_PORT ?? '0';
  // A spec that runs a service as in production gets production's authentication default too.
  const authMode = env.NODE_ENV === 'production' ? 'required' : 'off';
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', join(REPO_ROOT, 'dist/services', name, 'src/main.js')],
    {
      env: { ...process.env, LOG_LEVEL: 'info', AUTH_MODE: authMode, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    exited,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Spawns the service and waits for /healthz/ready; throws with its output when it does not get there. */
export async function startService(
  name: string,
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
): Promise<ServiceProcess> {
  const svc = spawnService(name, env);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (svc.child.exitCode !== null)
      throw new Error(`${name} exited with ${svc.child.exitCode}:\n${svc.output()}`);
    try {
      if ((await fetch(`${svc.url}/healthz/ready`)).ok) return svc;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await svc.kill();
  throw new Error(`${name} not ready after ${timeoutMs} ms:\n${svc.output()}`);
}
