// Hostile input against every public service, driven by each service's own OpenAPI document: for
// every operation, fast-check generates path parameters, query strings, headers and bodies — random
// JSON of any shape, malformed JSON, wrong content types, huge, unicode, control-character, negative
// and enormous numeric values, path traversal — and sends them, authenticated (the point is to reach
// the handlers) and, for a share, with broken credentials. No answer may be a 5xx, and every service
// must still be live afterwards, and every 4xx of every service has the one error body of
// @mercato/runtime (`{ statusCode, error, message, errors: [{ field, reason }] }`). Seeded and
// bounded (the same requests every run, ~1 minute).
import {
  createTestDatabase,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
  freePort,
} from '@mercato/dev-stack';
import { bearer, testKeys, type TestKeys } from '../src';
import { Topics } from '@mercato/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Every service with a public HTTP API publishes an OpenAPI document.
const SERVICES = ['ingest', 'feature', 'training', 'model-registry', 'scoring', 'sentiment-monitor'] as const;
const RUNS_PER_OPERATION = 25;
const SEED = 20261128;
const TENANT = `f${uniqueSuffix()
  .replace(/[^a-z0-9]/g, '')
  .slice(-10)}`;

interface Operation {
  service: string;
  method: string;
  path: string;
  query: string[];
  hasBody: boolean;
}

interface Sent {
  operation: string;
  status: number;
  request: string;
}

/** What is wrong with a 4xx body, or undefined when it is the common error body. */
function errorBodyProblem(status: number, text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 80)}`;
  }
  const b = body as Record<string, unknown>;
  if (b.statusCode !== status) return `statusCode ${String(b.statusCode)}`;
  if (typeof b.error !== 'string' || typeof b.message !== 'string') return 'no error or message string';
  const errors = b.errors;
  if (!Array.isArray(errors) || errors.length === 0) return 'no errors array';
  for (const e of errors as Record<string, unknown>[])
    if (typeof e.field !== 'string' || typeof e.reason !== 'string')
      return 'an error without field and reason';
  return undefined;
}

let db: TestDatabase;
let keys: TestKeys;
let token: string;
const running = new Map<string, ServiceProcess>();
const helpers: ServiceProcess[] = [];
const operations: Operation[] = [];
const sent: Sent[] = [];
const badErrorBodies: (Sent & { problem: string })[] = [];

// Values a client should never send, and sometimes will.
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '../../etc/passwd',
    '%2e%2e%2f',
    '\u0000',
    '\ud800',
    'null',
    'undefined',
    '-1',
    '0',
    '1e309',
    '-9223372036854775809',
    '99999999999999999999999',
    'NaN',
    '{"$ne":null}',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    '😀'.repeat(300),
    'x'.repeat(10_000),
  ),
  fc.integer().map(String),
  fc.double().map(String),
);

const json = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }),
  fc.record({
    articles: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
    interactions: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
    items: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
    name: nasty,
    kind: nasty,
    version: fc.oneof(fc.integer(), fc.double(), nasty),
    url: nasty,
    k: fc.oneof(fc.integer(), nasty),
  }),
);

type Body = { type: string | undefined; text: string } | undefined;

const body: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 6,
    arbitrary: json.map((v) => ({ type: 'application/json', text: JSON.stringify(v) ?? 'null' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('{', '{"a":', '[1,2', '\u0000', 'null', '"', '{"__proto__":{"polluted":1}}', '[[[[[[[[[[')
      .map((text) => ({ type: 'application/json', text })),
  },
  {
    weight: 1,
    arbitrary: fc
      .nat(5_000)
      .map((depth) => ({ type: 'application/json', text: '['.repeat(depth) + ']'.repeat(depth) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data', undefined), fc.string())
      .map(([type, text]) => ({ type, text })),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const credential = fc.oneof(
  { weight: 8, arbitrary: fc.constant('valid') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', 'Bearer', 'Bearer mk_', 'Basic x', `Bearer ${'a.'.repeat(3)}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`) },
);

function fill(path: string, values: string[]): string {
  let i = 0;
  return path.replace(/\{[^}]+\}/g, () => {
    const v = values[i++] ?? 'x';
    // Mostly encoded as a client library would; sometimes raw, as a hand-written client might.
    return i % 3 === 0 ? v.replace(/[?#]/g, '') : encodeURIComponent(v);
  });
}

const safeHeader = (v: string): string => v.replace(/[^\t\x20-\x7e]/g, '');

beforeAll(async () => {
  db = await createTestDatabase('hostile_input');
  keys = await testKeys(db.url);
  ({ token } = await keys.create({ tenantId: TENANT, rateRps: 0, name: 'fuzz' }));
  const start = async (name: string, env: Record<string, string> = {}): Promise<ServiceProcess> => {
    const began = Date.now();
    // The services consume only what arrives from now on, not the shared topics' history (a training
    // service would otherwise train every request other specs ever sent).
    const group = `fuzz-${name}-${uniqueSuffix()}`;
    await startGroupAtEnd(
      testKafka(),
      group,
      Object.values(Topics).map((t) => t.name),
    );
    const svc = await startService(
      name,
      {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
        KAFKA_CONSUMER_GROUP: group,
        HTTP_PORT: String(await freePort()),
        AUTH_MODE: 'required',
        LOG_LEVEL: 'warn',
        // Nothing listens here: model loads fail fast, and must not turn requests into a 5xx.
        MODEL_REGISTRY_URL: 'http://127.0.0.1:9',
        ...env,
      },
      // Several services start at once on a machine other test runs share: allow for a slow start.
      150_000,
    );
    process.stdout.write(`[hostile-input] ${name} ready in ${Date.now() - began} ms\n`);
    return svc;
  };
  // User deletion on ingest goes through the feature service: a real one, with a platform key.
  const feature = await start('feature');
  const service = await keys.create({ tenantId: TENANT, platform: true, rateRps: 0, name: 'services' });
  await Promise.all(
    SERVICES.map(async (name) => {
      running.set(
        name,
        await start(
          name,
          name === 'ingest' ? { FEATURE_URL: feature.url, MERCATO_SERVICE_API_KEY: service.token } : {},
        ),
      );
    }),
  );
  helpers.push(feature);
  for (const [service, svc] of running) {
    const doc = (await (await fetch(`${svc.url}/v1/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>
      >;
    };
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(methods))
        operations.push({
          service,
          method: method.toUpperCase(),
          path,
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          hasBody: op.requestBody !== undefined,
        });
  }
}, 300_000);

afterAll(async () => {
  await Promise.all([...running.values(), ...helpers].map((s) => s.stop()));
  await keys?.close();
  await db?.drop();
  const byStatus = new Map<number, number>();
  for (const s of sent) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
  process.stdout.write(
    `[hostile-input] ${sent.length} requests over ${operations.length} operations; by status: ${JSON.stringify(Object.fromEntries([...byStatus].sort(([a], [b]) => a - b)))}\n`,
  );
});

describe('hostile input from the OpenAPI documents', () => {
  it('covers every service’s documented operations', () => {
    const services = new Set(operations.map((o) => o.service));
    expect([...services].sort()).toEqual([...SERVICES].sort());
    expect(operations.length).toBeGreaterThan(20);
  });

  it('never answers with a 5xx, and every service stays up', async () => {
    const failures: Sent[] = [];
    for (const op of operations) {
      const base = (running.get(op.service) as ServiceProcess).url;
      const params = (op.path.match(/\{[^}]+\}/g) ?? []).length;
      await fc
        .assert(
          fc.asyncProperty(
            fc.array(nasty, { minLength: params, maxLength: params }),
            fc.dictionary(fc.constantFrom(...op.query, 'tenant', 'limit', 'k', 'offset'), nasty, {
              maxKeys: 4,
            }),
            op.hasBody || op.method !== 'GET' ? body : fc.constant(undefined),
            credential,
            fc.dictionary(
              fc.constantFrom('x-mercato-tenant', 'last-event-id', 'accept', 'content-length'),
              nasty,
              {
                maxKeys: 2,
              },
            ),
            async (values, query, payload, auth, extra) => {
              const qs = new URLSearchParams(query).toString();
              const url = `${base}${fill(op.path, values)}${qs ? `?${qs}` : ''}`;
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(extra))
                if (k !== 'content-length') headers[k] = safeHeader(v);
              if (auth === 'valid') Object.assign(headers, bearer(token));
              else if (auth) headers.authorization = safeHeader(auth);
              if (payload?.type) headers['content-type'] = payload.type;
              const controller = new AbortController();
              // A stream (SSE) stays open: its status is all that matters.
              const timer = setTimeout(() => controller.abort(), 5_000);
              let status: number;
              let text = '';
              try {
                const res = await fetch(url, {
                  method: op.method,
                  headers,
                  body: op.method === 'GET' || op.method === 'HEAD' ? undefined : payload?.text,
                  signal: controller.signal,
                  redirect: 'manual',
                });
                status = res.status;
                if ((res.headers.get('content-type') ?? '').includes('event-stream')) controller.abort();
                else text = await res.text();
              } catch (err) {
                if ((err as Error).name === 'AbortError') return;
                throw err;
              } finally {
                clearTimeout(timer);
              }
              const record = {
                operation: `${op.method} ${op.path}`,
                status,
                request: `${op.method} ${url.slice(0, 300)}`,
              };
              sent.push(record);
              if (status >= 500) failures.push(record);
              const problem = status >= 400 && status < 500 ? errorBodyProblem(status, text) : undefined;
              if (problem) badErrorBodies.push({ ...record, problem });
              return status < 500;
            },
          ),
          { seed: SEED, numRuns: RUNS_PER_OPERATION, endOnFailure: true },
        )
        .catch(() => undefined);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    for (const [name, svc] of running) {
      expect({ name, exit: svc.child.exitCode }).toEqual({ name, exit: null });
      expect({ name, live: (await fetch(`${svc.url}/healthz/live`)).status }).toEqual({ name, live: 200 });
    }
  }, 240_000);

  it('answers every 4xx of every service with the same error body', async () => {
    // Beyond what the fuzzing reached: an unknown route, a missing credential and a bad parameter.
    for (const [name, svc] of running) {
      for (const [path, headers] of [
        ['/v1/no-such-route', bearer(token)],
        ['/v1/openapi.json/x', {}],
        [operations.find((o) => o.service === name && o.method === 'GET')?.path ?? '/', {}],
      ] as [string, Record<string, string>][]) {
        const res = await fetch(`${svc.url}${fill(path, [])}`, { headers });
        if (res.status >= 400 && res.status < 500) {
          const problem = errorBodyProblem(res.status, await res.text());
          if (problem) badErrorBodies.push({ operation: name, status: res.status, request: path, problem });
        } else await res.arrayBuffer();
      }
    }
    expect(sent.filter((s) => s.status >= 400 && s.status < 500).length).toBeGreaterThan(100);
    expect(badErrorBodies.slice(0, 10)).toEqual([]);
  });
});
