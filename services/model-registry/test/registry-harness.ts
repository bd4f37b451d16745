// Test helpers: the registry as a real process (the built dist/, on the real broker and a fresh
// database), a tiny HTTP client, and real TF.js LayersModel artifacts (model.json + float32 shards).
import { REPO_ROOT, requireEnv, freePort } from '@mercato/dev-stack';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export const MAIN = join(REPO_ROOT, 'dist/services/model-registry/src/main.js');

export { freePort };

export interface RegistryProcess {
  url: string;
  child: ChildProcess;
  exit: Promise<number | null>;
  output(): string;
  stop(): Promise<number | null>;
}

/** Spawns the service and resolves once it is ready (or rejects with its output if it exits). */
export async function startRegistry(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<RegistryProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
      OUTBOX_POLL_MS: '200',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const proc: RegistryProcess = {
    url,
    child,
    exit,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
  const deadline = Date.now() + 60_000;
  let exited = false;
  void exit.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`model-registry exited early (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/healthz/ready`)).ok) return proc;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  child.kill('SIGKILL');
  throw new Error(`model-registry not ready after 60 s:\n${output}`);
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  bytes: Buffer;
}

/** `headers`: sent on every call (a spec with AUTH_MODE=required passes its key here). */
export function api(baseUrl: string, headers: Record<string, string> = {}) {
  const call = async <T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    let parsed: unknown = bytes;
    if (type.includes('json')) {
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        parsed = bytes;
      }
    }
    return { status: res.status, body: parsed as T, headers: res.headers, bytes };
  };
  return {
    get: <T = any>(path: string) => call<T>('GET', path),
    post: <T = any>(path: string, body: unknown) => call<T>('POST', path, body),
  };
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export { lineage, tfjsArtifact, type ArtifactFiles } from '@mercato/testing';
