export { createKafka, kafkaClientOptionsFromEnv, type KafkaClientOptions } from './client';
export { encode, decode, headerValue, headersToStrings, recordHeaders, withRecordContext } from './codec';
export { uuidV5, uuidV8 } from './event-id';
export { KafkaEventContext, type KafkaRecordInfo, type DecodedRecord } from './context';
export { OnTopic, OnTopicBatch } from './decorators';
export { NonRetriableError, DecodeError, DrainInterruptedError } from './errors';
export { EventProducer, type EventProducerOptions, type OutgoingRecord } from './producer';
export {
  KafkaTransport,
  KafkaErrorPassthroughFilter,
  type KafkaTransportOptions,
  type RetryPolicy,
} from './transport';
export { ensureTopics, type EnsureTopicsResult } from './topics-admin';
export { KafkaModule, type KafkaModuleOptions } from './kafka.module';
