// Typed sugar over @EventPattern: handlers name the catalogue entry, never a string topic, and the
// compiler checks the handler's first parameter against the topic's message type.
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { TopicSpec } from '@mercato/contracts';
import { UseFilters, applyDecorators } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { DecodedRecord } from './context';
import { KafkaErrorPassthroughFilter } from './transport';

type Handler<T> = <F extends (data: T, ...args: never[]) => unknown>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<F>,
) => void;

// Nest's default RPC filter would replace handler errors with "Internal server error"; the filter is
// bound per handler because in a hybrid (HTTP + Kafka) app the listeners are registered when the
// microservice is connected, before global microservice filters could apply.
const passErrors = UseFilters(new KafkaErrorPassthroughFilter());

/** The handler receives each decoded record in turn (per-partition order is kept). */
export const OnTopic = <S extends DescMessage>(spec: TopicSpec<S>): Handler<MessageShape<S>> =>
  applyDecorators(EventPattern<string>(spec.name), passErrors) as Handler<MessageShape<S>>;

/**
 * The handler receives a whole fetched batch of one partition as DecodedRecord[] (for batched
 * inference or bulk writes). A failing batch is retried, then split so only bad records dead-letter.
 */
export const OnTopicBatch = <S extends DescMessage>(
  spec: TopicSpec<S>,
): Handler<DecodedRecord<MessageShape<S>>[]> =>
  applyDecorators(EventPattern<string>(spec.name, { batch: true }), passErrors) as Handler<
    DecodedRecord<MessageShape<S>>[]
  >;
