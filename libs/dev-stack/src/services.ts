// Starting and stopping built services (dist/services/<name>) as real processes: `mercato up`, the
// benches, the fault runs and the end-to-end specs all start them here, each on its port and
// database, and wait until /healthz/ready answers. Services run with AUTH_MODE=off unless the caller
// passes AUTH_MODE (or NODE_ENV=production): most specs test what a service does, not who may call
// it, and a development principal (tenant TENANT_ID, or the X-Mercato-Tenant header, with every
// scope) keeps them short; `mercato up`, the auth, tenancy and fuzz specs turn authentication on.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './infra';

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** GET a JSON document; the caller states the shape it relies on. */
export const getJson = async <T>(url: string): Promise<T> => {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM (graceful drain); resolves with the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<number | null>;
}

export interface SpawnOptions {
  /** Append the service's output to this file instead of keeping it in memory (output() is then empty). */
  logFile?: string;
}

export function spawnService(
  name: string,
  env: Record<string, string | undefined>,
  options: SpawnOptions = {},
): ServiceProcess {
  const port = env.HTTP_PORT ?? '0';
  // A caller that runs a service as in production gets production's authentication default too.
  const authMode = env.NODE_ENV === 'production' ? 'required' : 'off';
  const log = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', join(REPO_ROOT, 'dist/services', name, 'src/main.js')],
    {
      env: { ...process.env, LOG_LEVEL: 'info', AUTH_MODE: authMode, ...env },
      stdio: log === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', log, log],
    },
  );
  if (log !== undefined) closeSync(log);
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

/** Resolves once the service answers /healthz/ready; throws when it exits or the time runs out. */
export async function waitReady(svc: ServiceProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (svc.child.exitCode !== null) throw new Error(`exited with code ${svc.child.exitCode}`);
    try {
      if ((await fetch(`${svc.url}/healthz/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready after ${timeoutMs} ms`);
}

/** Spawns the service and waits for /healthz/ready; throws with its output when it does not get there. */
export async function startService(
  name: string,
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
  options: SpawnOptions = {},
): Promise<ServiceProcess> {
  const svc = spawnService(name, env, options);
  try {
    await waitReady(svc, timeoutMs);
    return svc;
  } catch (err) {
    await svc.kill();
    throw new Error(`${name} ${(err as Error).message}:\n${svc.output()}`);
  }
}

/** Stops services with SIGTERM (a graceful drain each), and SIGKILLs any still running after graceMs. */
export async function stopServices(services: readonly ServiceProcess[], graceMs = 30_000): Promise<void> {
  await Promise.all(
    services.map(async (svc) => {
      const timer = setTimeout(() => void svc.kill(), graceMs);
      try {
        await svc.stop();
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}
