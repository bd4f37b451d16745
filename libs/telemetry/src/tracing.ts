// OpenTelemetry bootstrap and where traces start and stop. startTelemetry() must run before the app
// module is loaded so that pg is patched on require; every service's main.ts calls it first.
//
// - A request continues its caller's traceparent/tracestate (a malformed one is ignored: a new
//   trace), under a server span named by its route (nameServerSpan). Sampling: OTEL_TRACES_SAMPLER,
//   parent-based by default, so a request or record follows its caller's decision.
// - Hot read routes (scoring's recommendations) are sampled at the edge (hotRouteDecision): the
//   caller's decision is followed, and without one TRACES_HOT_ROUTE_RATIO of them start a trace.
//   The others run in the caller's context, or a new unsampled trace, without a span and without
//   the instrumentation's per-request work: a server span costs more than a cached answer.
// - A Kafka record continues the trace its producer put in its headers (@mercato/kafka).
// - Background work (pollers, relays, dispatchers, live streams) runs in a context of its own
//   (inBackground): unsampled, so an idle poll records nothing and what it calls records nothing
//   either; each unit of work that does something is a new trace (traceWork, recordWork), linked
//   to the traces it serves, never inside the trace of the request or record that woke it.
// - Database, HTTP-client and Kafka-producer spans need a parent: none is ever a trace of its own.
// - Probes and /metrics are never traced. Traces are the only OTLP signal: metrics are
//   Prometheus (/metrics) and logs go to stdout.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  NoopSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  defaultTextMapGetter,
  isSpanContextValid,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator, suppressTracing } from '@opentelemetry/core';
import { loadConfig, tracingEnv, z } from '@mercato/config';
import type { IncomingMessage, Server } from 'node:http';
import { createRequire } from 'node:module';

let sdk: NodeSDK | undefined;
let instrumentations: Instrumentation[] | undefined;
let hot: { routes: readonly HotRoute[]; rootRatio: number } = { routes: [], rootRatio: 0 };
/** The header names the propagators read (traceparent, tracestate, baggage by default). */
let propagatorFields: string[] = [];
/** The tracer of background work (looked up on use: a restart registers a new provider). */
const tracer = (): Tracer => trace.getTracer('@mercato/telemetry');
const w3c = new W3CTraceContextPropagator();

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
  /** The OTLP collector (base URL); without it spans are still created and propagated (trace ids in logs and
   * traceparent headers), but not exported: a no-op processor keeps the tracer provider registered. */
  otlpEndpoint?: string;
  version?: string;
  /**
   * Hot read routes, sampled at the edge (see the header): a span per request would cost more than
   * such a request's own work (scoring's recommendations: about a third of the CPU).
   */
  hotRoutes?: HotRoute[];
}

export interface HotRoute {
  /** Matches the request URLs of the route. */
  path: RegExp;
  /** The route as the HTTP edge declares it, the name of its server spans ("/v1/users/:userId/…"). */
  route: string;
}

export type TracingSettings = z.infer<z.ZodObject<typeof tracingEnv>>;

/** The tracing variables; their defaults when one is invalid (the service's loadConfig reports it). */
export function tracingSettings(env: NodeJS.ProcessEnv = process.env): TracingSettings {
  const schema = z.object(tracingEnv);
  try {
    return loadConfig(schema, env);
  } catch {
    return schema.parse({});
  }
}

export function samplerOf(name: TracingSettings['OTEL_TRACES_SAMPLER'], ratio: number): Sampler {
  switch (name) {
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
  }
}

/** The exporter of OTEL_EXPORTER_OTLP_PROTOCOL to the collector at `endpoint` (the base URL). */
function exporterOf(
  protocol: TracingSettings['OTEL_EXPORTER_OTLP_PROTOCOL'],
  endpoint: string,
): SpanExporter {
  const base = endpoint.replace(/\/$/, '');
  switch (protocol) {
    case 'http/json':
      return new OTLPJsonTraceExporter({ url: `${base}/v1/traces` });
    case 'http/protobuf':
      return new OTLPProtoTraceExporter({ url: `${base}/v1/traces` });
    case 'grpc':
      return new OTLPGrpcTraceExporter({ url: base });
  }
}

/** Probes and scrapes: never traced (they would be most traces and tell nothing). */
export function unobservedPath(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith('/healthz') || /^\/metrics(?:[?#]|$)/.test(url));
}

/** The span context a W3C traceparent names, or undefined when it is absent or malformed. */
export function spanContextOf(traceparent: string | null | undefined): SpanContext | undefined {
  if (!traceparent) return undefined;
  return trace.getSpanContext(w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter));
}

export const isSampled = (span: SpanContext | undefined): boolean =>
  span !== undefined && (span.traceFlags & TraceFlags.SAMPLED) !== 0;

const ids = Buffer.allocUnsafe(24);

/**
 * A valid, unsampled span context of a new trace. Its ids are made as the SDK makes them (Math.random,
 * not a CSPRNG: they identify, they protect nothing) because hot routes make one per request.
 */
function unsampledSpanContext(): SpanContext {
  for (let i = 0; i < 24; i += 4) ids.writeUInt32BE((Math.random() * 2 ** 32) >>> 0, i);
  if (ids.readUInt32BE(0) === 0) ids.writeUInt32BE(1, 0);
  if (ids.readUInt32BE(16) === 0) ids.writeUInt32BE(1, 16);
  const hex = ids.toString('hex');
  return { traceId: hex.slice(0, 32), spanId: hex.slice(32), traceFlags: TraceFlags.NONE, isRemote: false };
}

export interface EdgeDecision {
  /** Serve the request under a server span: the caller's trace is sampled, or the request starts one. */
  traced: boolean;
  /** The caller's context; when untraced, what to serve the request in (the caller's, or a new unsampled trace). */
  context: Context;
}

/**
 * How a hot route's edge serves a request (see the header): traced when the caller's trace is
 * sampled, untraced in the caller's context when it is not, and, without a caller context (or with
 * a malformed one), traced for TRACES_HOT_ROUTE_RATIO of requests, else in a new unsampled trace.
 */
export function hotRouteDecision<C>(
  carrier: C,
  getter: TextMapGetter<C> = defaultTextMapGetter as TextMapGetter<C>,
): EdgeDecision {
  // Most hot requests carry no trace context: they skip the propagators' parsing.
  const carries = propagatorFields.some((field) => getter.get(carrier, field) !== undefined);
  const caller = carries ? propagation.extract(ROOT_CONTEXT, carrier, getter) : ROOT_CONTEXT;
  const parent = trace.getSpanContext(caller);
  if (parent !== undefined && isSpanContextValid(parent))
    return { traced: isSampled(parent), context: caller };
  if (hot.rootRatio > 0 && Math.random() < hot.rootRatio) return { traced: true, context: caller };
  return { traced: false, context: trace.setSpanContext(caller, unsampledSpanContext()) };
}

/** The hot route a URL is a request of. */
const hotRouteOf = (url: string | undefined): HotRoute | undefined =>
  url === undefined ? undefined : hot.routes.find((r) => r.path.test(url));

type Emit = (this: Server, event: string | symbol, ...args: unknown[]) => boolean;

/**
 * Lets a server's untraced requests bypass the HTTP instrumentation: probes run with tracing
 * suppressed, and hot-route requests the edge does not trace (hotRouteDecision) run in their
 * context without the instrumentation's per-request context binding of the request and response
 * emitters, which costs about 5% of a cached recommendation. Every other request goes through the
 * instrumentation. A no-op when telemetry is not started or the server's emit is not instrumented.
 */
export function bypassInstrumentationWhenUntraced(server: Server): void {
  const traced = Reflect.get(server, 'emit') as Emit & { __original?: Emit };
  const plain = traced.__original;
  if (!sdk || plain === undefined) return;
  const suppressed = suppressTracing(ROOT_CONTEXT);
  const emit: Emit = function (event, ...args) {
    if (event !== 'request') return traced.call(this, event, ...args);
    const url = (args[0] as IncomingMessage).url;
    if (unobservedPath(url)) return context.with(suppressed, () => plain.call(this, event, ...args));
    if (hotRouteOf(url) === undefined) return traced.call(this, event, ...args);
    const decision = hotRouteDecision((args[0] as IncomingMessage).headers);
    if (decision.traced) return traced.call(this, event, ...args);
    return context.with(decision.context, () => plain.call(this, event, ...args));
  };
  Reflect.set(server, 'emit', emit);
}

/**
 * Names the active server span after the route that serves the request ("GET /v1/news") and
 * records http.route; the HTTP edge calls it once the route is known. Unmatched requests keep the
 * method alone, so a scan of random paths cannot multiply span names. Hot routes are named as
 * their span starts (the HTTP instrumentation's request hook), sparing their requests this call.
 */
export function nameServerSpan(method: string, route: string | undefined): void {
  const span = trace.getActiveSpan();
  if (route !== undefined && span?.isRecording()) nameSpan(span, method, route);
}

function nameSpan(span: Span, method: string, route: string): void {
  span.updateName(`${method} ${route}`);
  span.setAttribute(ATTR_HTTP_ROUTE, route);
}

/** Whether the HTTP edge's route (as declared, "/v1/users/:userId/recommendations") is a hot route. */
export const isHotRoute = (route: string): boolean => hot.routes.some((r) => r.route === route);

/**
 * A context for background work between its units: a new unsampled trace, outside any request's or
 * record's, so what the work calls (Postgres, other services) records nothing and passes "not
 * sampled" on.
 */
export function backgroundContext(): Context {
  return trace.setSpanContext(ROOT_CONTEXT, unsampledSpanContext());
}

/** Runs fn (and everything it schedules) in a background context. */
export function inBackground<T>(fn: () => T): T {
  return context.with(backgroundContext(), fn);
}

export interface WorkOptions {
  attributes?: Attributes;
  /** Creation contexts (W3C traceparents) of what the work serves, e.g. outbox rows: linked, never joined. */
  links?: readonly (string | null | undefined)[];
}

function linksTo(traceparents: WorkOptions['links']): Link[] {
  const seen = new Set<string>();
  const links: Link[] = [];
  for (const traceparent of traceparents ?? []) {
    const span = spanContextOf(traceparent);
    if (span === undefined || seen.has(span.spanId)) continue;
    seen.add(span.spanId);
    links.push({ context: span });
  }
  return links;
}

/**
 * One unit of background work that does something (a batch relayed, deliveries made): a new trace
 * whose root span is `name`, sampled by the sampler, with what it calls as children.
 */
export function traceWork<T>(name: string, fn: () => Promise<T>, options: WorkOptions = {}): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { root: true, kind: SpanKind.INTERNAL, attributes: options.attributes, links: linksTo(options.links) },
    (span) => withinSpan(span, fn),
  );
}

/** Runs fn as the work of `span`: a failure is recorded on it (exception, error status); it ends either way. */
export async function withinSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * A unit of background work reported once it is known to have done something, for work that is a
 * single statement (a purge): a root span from `startedAt` (ms since the epoch) to now.
 */
export function recordWork(name: string, startedAt: number, attributes?: Attributes): void {
  tracer().startSpan(name, { root: true, kind: SpanKind.INTERNAL, startTime: startedAt, attributes }).end();
}

export function startTelemetry(options: TelemetryOptions): void {
  if (sdk) return;
  const settings = tracingSettings();
  hot = { routes: options.hotRoutes ?? [], rootRatio: settings.TRACES_HOT_ROUTE_RATIO };
  const endpoint = options.otlpEndpoint ?? settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  // Patches are process-wide and a patched module is not patched again: the instrumentations are
  // made once, and a restart (tests) points them at the new tracer provider.
  instrumentations ??= [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req) => unobservedPath(req.url),
      requireParentforOutgoingSpans: true,
      requestHook: (span, request) => {
        const hotRoute = hotRouteOf((request as { url?: string }).url);
        if (hotRoute) nameSpan(span, request.method ?? 'GET', hotRoute.route);
        redactSpanUrls(span);
      },
    }),
    new UndiciInstrumentation({
      requireParentforSpans: true,
      requestHook: (span) => redactSpanUrls(span),
    }),
    new PgInstrumentation({
      enhancedDatabaseReporting: false,
      requireParentSpan: true,
      ignoreConnectSpans: true,
    }),
    new PinoInstrumentation({ disableLogSending: true }),
  ];
  sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? `mercato-${options.serviceName}`,
      [ATTR_SERVICE_VERSION]: options.version ?? process.env.MERCATO_VERSION ?? '0.1.0',
    }),
    sampler: samplerOf(settings.OTEL_TRACES_SAMPLER, settings.OTEL_TRACES_SAMPLER_ARG),
    // With an exporter the SDK batches spans as the OTEL_BSP_* variables say.
    ...(endpoint
      ? { traceExporter: exporterOf(settings.OTEL_EXPORTER_OTLP_PROTOCOL, endpoint) }
      : { spanProcessors: [new NoopSpanProcessor()] }),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations,
  });
  sdk.start();
  propagatorFields = propagation.fields();
  // Nest and Fastify load http before this runs, and the instrumentation patches a module when it is
  // next required: requiring it now patches the http.Server every service creates later.
  createRequire(__filename)('node:http');
}

/** Flushes and stops tracing, and unregisters it, so that it can be started again (tests do). */
export async function stopTelemetry(): Promise<void> {
  const stopping = sdk;
  sdk = undefined;
  hot = { routes: [], rootRatio: 0 };
  try {
    await stopping?.shutdown();
  } finally {
    trace.disable();
    propagation.disable();
    context.disable();
  }
}
