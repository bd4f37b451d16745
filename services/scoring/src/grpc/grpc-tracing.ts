// Server spans of the gRPC API: a call continues the caller's traceparent/tracestate (gRPC metadata)
// under a span named "<service>/<method>". RecommendationService calls are hot reads, sampled at the
// edge like the HTTP recommendations route (@mercato/telemetry's hotRouteDecision): traced when the
// caller's trace is sampled (or, without one, for TRACES_HOT_ROUTE_RATIO of calls), else run in the
// caller's context without a span. Every other call (SentimentService) has its span, which the
// sampler (OTEL_TRACES_SAMPLER) decides on, as for any HTTP route.
import { ConnectError, type Interceptor } from '@connectrpc/connect';
import { RecommendationService } from '@mercato/contracts';
import { hotRouteDecision } from '@mercato/telemetry';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type TextMapGetter,
} from '@opentelemetry/api';

const tracer = trace.getTracer('@mercato/scoring');

const metadata: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

export const tracingInterceptor: Interceptor = (next) => (req) => {
  const service = req.service.typeName;
  const hot = service === RecommendationService.typeName ? hotRouteDecision(req.header, metadata) : undefined;
  if (hot?.traced === false) return context.with(hot.context, () => next(req));
  const parent = hot?.context ?? propagation.extract(ROOT_CONTEXT, req.header, metadata);
  const method = req.method.name;
  return tracer.startActiveSpan(
    `${service}/${method}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method },
    },
    parent,
    async (span) => {
      try {
        const res = await next(req);
        span.setAttribute('rpc.grpc.status_code', 0);
        return res;
      } catch (err) {
        const error = ConnectError.from(err);
        span.setAttribute('rpc.grpc.status_code', error.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.rawMessage });
        throw err;
      } finally {
        span.end();
      }
    },
  );
};
