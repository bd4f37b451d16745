// Server spans of the gRPC API: a call continues the caller's traceparent/tracestate (gRPC metadata)
// and is sampled at the edge like the HTTP recommendations route (@mercato/telemetry's
// hotRouteDecision), since every RecommendationService call is a hot read: traced when the caller's
// trace is sampled (or, without one, for TRACES_HOT_ROUTE_RATIO of calls), else run in the caller's
// context without a span.
import { ConnectError, type Interceptor } from '@connectrpc/connect';
import { hotRouteDecision } from '@mercato/telemetry';
import { SpanKind, SpanStatusCode, context, trace, type TextMapGetter } from '@opentelemetry/api';

const tracer = trace.getTracer('@mercato/scoring');

const metadata: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

export const tracingInterceptor: Interceptor = (next) => (req) => {
  const decision = hotRouteDecision(req.header, metadata);
  if (!decision.traced) return context.with(decision.context, () => next(req));
  const service = req.service.typeName;
  const method = req.method.name;
  return tracer.startActiveSpan(
    `${service}/${method}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method },
    },
    decision.context,
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
