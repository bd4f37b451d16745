// Protobuf encoding of records by topic, and header helpers (event id, schema, trace context).
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { Headers, PROTOBUF_CONTENT_TYPE, type TopicSpec } from '@mercato/contracts';
import { spanContextOf } from '@mercato/telemetry';
import { ROOT_CONTEXT, context, propagation, trace } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { DecodeError } from './errors';

export function encode<S extends DescMessage>(spec: TopicSpec<S>, value: MessageInitShape<S>): Buffer {
  return Buffer.from(toBinary(spec.schema, create(spec.schema, value)));
}

export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    const v = headerValue(headers, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/**
 * Decodes a record value with the topic's schema. A record whose `schema` header names another
 * message type, or whose bytes do not parse, is a DecodeError (sent to the dead-letter topic).
 */
export function decode<S extends DescMessage>(
  spec: TopicSpec<S>,
  value: Buffer | null,
  headers?: IHeaders,
): MessageShape<S> {
  const declared = headerValue(headers, Headers.schema);
  if (declared && declared !== spec.schema.typeName) {
    throw new DecodeError(
      `schema header "${declared}" does not match ${spec.name} (${spec.schema.typeName})`,
    );
  }
  if (value === null) throw new DecodeError(`record on ${spec.name} has no value`);
  try {
    return fromBinary(spec.schema, value);
  } catch (err) {
    throw new DecodeError(
      `cannot decode ${spec.schema.typeName}: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * Headers for a new record: event id, content type, schema and its W3C trace context: the record's
 * own creation context when it has one (an outbox row's), else the active one.
 */
export function recordHeaders(
  spec: TopicSpec,
  extra: {
    eventId?: string;
    tenantId?: string;
    headers?: Record<string, string>;
    traceparent?: string | null;
  } = {},
): Record<string, string> {
  const headers: Record<string, string> = {
    ...extra.headers,
    [Headers.eventId]: extra.eventId ?? randomUUID(),
    [Headers.contentType]: PROTOBUF_CONTENT_TYPE,
    [Headers.schema]: spec.schema.typeName,
  };
  if (extra.tenantId) headers[Headers.tenantId] = extra.tenantId;
  const created = spanContextOf(extra.traceparent);
  propagation.inject(created ? trace.setSpanContext(ROOT_CONTEXT, created) : context.active(), headers);
  return headers;
}

/**
 * Runs fn in the trace context a record's producer put in its headers, for consumers outside the
 * transport (in-memory state feeds) whose handling calls other services.
 */
export function withRecordContext<T>(headers: IHeaders | undefined, fn: () => T): T {
  return context.with(propagation.extract(ROOT_CONTEXT, headersToStrings(headers)), fn);
}
