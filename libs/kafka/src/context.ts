// What a handler learns about the record it is processing, beside the decoded message.
import { BaseRpcContext } from '@nestjs/microservices';

export interface KafkaRecordInfo {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  /** The idempotency key: write results keyed by it so redelivery changes nothing. */
  eventId: string;
  tenantId: string | undefined;
  /** Broker timestamp, ms since the epoch. */
  timestamp: number;
  /** 1 on first delivery to the handler, more on in-process retries. */
  attempt: number;
}

export class KafkaEventContext extends BaseRpcContext<[KafkaRecordInfo, () => Promise<void>]> {
  get record(): KafkaRecordInfo {
    return this.args[0];
  }
  /** Keeps the consumer's group membership alive during long work. */
  heartbeat(): Promise<void> {
    return this.args[1]();
  }
}

/** One record of a batch handler's input. */
export interface DecodedRecord<T> {
  value: T;
  record: KafkaRecordInfo;
}
