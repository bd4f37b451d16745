// OpenTelemetry bootstrap. Must run before the app module is loaded so that http and pg are patched;
// every service's main.ts calls startTelemetry() first and only then imports its app.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { BatchSpanProcessor, NoopSpanProcessor } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { ROOT_CONTEXT, context, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { IncomingMessage, Server } from 'node:http';

let sdk: NodeSDK | undefined;
let hotPaths: readonly RegExp[] = [];

/**
 * A URL as it may appear in exported spans: without its query (it can carry an access_token or user
 * ids) and with the user id of /v1/users/{id}/… replaced by a placeholder (raw user ids never leave
 * the process; pseudonyms are not worth exporting either).
 */
export function redactUrl(url: string): string {
  return url.replace(/[?#].*$/s, '').replace(/\/v1\/users\/[^/]+/g, '/v1/users/{userId}');
}

const URL_ATTRIBUTES = ['http.target', 'http.url', 'url.full', 'url.path', 'url.query'];

function redactSpanUrls(span: Span): void {
  const attributes = (span as unknown as { attributes?: Record<string, unknown> }).attributes ?? {};
  for (const name of URL_ATTRIBUTES) {
    const value = attributes[name];
    if (typeof value === 'string') span.setAttribute(name, name === 'url.query' ? '' : redactUrl(value));
  }
}

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint; without it spans are still created and propagated (trace ids in logs and
   * traceparent headers), but not exported: a no-op processor keeps the tracer provider registered. */
  otlpEndpoint?: string;
  version?: string;
  /**
   * Paths of hot read routes: their requests are traced only when the caller's traceparent says its
   * trace is sampled. A server span per request costs more than such a request's own work (scoring's
   * recommendations: about a third of the CPU), so the calling edge decides which ones to trace.
   */
  tracedOnlyWhenSampled?: RegExp[];
}

/** Whether a W3C traceparent header (version-traceid-parentid-flags) carries the sampled flag. */
export function sampledParent(traceparent: string | string[] | undefined): boolean {
  const value = Array.isArray(traceparent) ? traceparent[0] : traceparent;
  const m =
    value === undefined ? null : /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(value.trim());
  return m !== null && (parseInt(m[1] as string, 16) & 1) === 1;
}

/** The incoming requests the HTTP instrumentation leaves alone: probes, and unsampled hot reads. */
export function untracedRequest(
  req: { url?: string; headers: Record<string, string | string[] | undefined> },
  hot: readonly RegExp[],
): boolean {
  const url = req.url ?? '';
  if (url.startsWith('/healthz')) return true;
  return hot.some((path) => path.test(url)) && !sampledParent(req.headers.traceparent);
}

type Emit = (this: Server, event: string | symbol, ...args: unknown[]) => boolean;

/**
 * Lets a server's untraced requests (see untracedRequest) bypass the HTTP instrumentation: they run
 * with tracing suppressed, as the instrumentation would run them, but without its per-request
 * context binding of the request and response emitters, which cost about 5% of a cached
 * recommendation. Every other request goes through the instrumentation as before. A no-op when
 * telemetry is not started or the server's emit is not instrumented.
 */
export function bypassInstrumentationWhenUntraced(server: Server): void {
  const traced = Reflect.get(server, 'emit') as Emit & { __original?: Emit };
  const plain = traced.__original;
  if (!sdk || plain === undefined) return;
  const hot = hotPaths;
  const suppressed = suppressTracing(ROOT_CONTEXT);
  const emit: Emit = function (event, ...args) {
    if (event === 'request' && untracedRequest(args[0] as IncomingMessage, hot))
      return context.with(suppressed, () => plain.call(this, event, ...args));
    return traced.call(this, event, ...args);
  };
  Reflect.set(server, 'emit', emit);
}

export function startTelemetry(options: TelemetryOptions): void {
  if (sdk) return;
  hotPaths = options.tracedOnlyWhenSampled ?? [];
  const endpoint = options.otlpEndpoint ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? `mercato-${options.serviceName}`,
      [ATTR_SERVICE_VERSION]: options.version ?? process.env.MERCATO_VERSION ?? '0.1.0',
    }),
    spanProcessors: endpoint
      ? [
          new BatchSpanProcessor({
            exporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }),
          }),
        ]
      : [new NoopSpanProcessor()],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => untracedRequest(req, hotPaths),
        requestHook: (span) => redactSpanUrls(span),
      }),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new PinoInstrumentation(),
    ],
  });
  sdk.start();
}

export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}
