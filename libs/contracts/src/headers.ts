// Header names every Kafka record carries (see ARCHITECTURE.md, "Kafka topics").
export const Headers = {
  eventId: 'event-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  contentType: 'content-type',
  schema: 'schema',
  tenantId: 'tenant-id',
} as const;

export const PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';
