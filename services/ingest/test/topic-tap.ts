// Reads what ingest publishes to a shared catalogue topic during a spec: a throwaway consumer group
// that starts at the topic's end offsets when the tap opens (other engineers' records before that are
// never read) and can wait until it has read everything written up to now.
import type { Kafka, Consumer, IHeaders } from 'kafkajs';
import { uniqueSuffix } from '@mercato/dev-stack';

export interface TappedRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Key, value and header bytes together, for scanning. */
  bytes: Buffer;
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

export class TopicTap {
  readonly records: TappedRecord[] = [];
  private readonly next = new Map<number, bigint>();

  private constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly consumer: Consumer,
  ) {}

  static async open(kafka: Kafka, topic: string): Promise<TopicTap> {
    const admin = kafka.admin();
    await admin.connect();
    const starts = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: `ingest-test-tap-${uniqueSuffix()}`, maxWaitTimeInMs: 100 });
    const tap = new TopicTap(kafka, topic, consumer);
    for (const s of starts) tap.next.set(s.partition, BigInt(s.offset));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers = headerStrings(message.headers);
        tap.records.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers,
          bytes: Buffer.concat([
            message.key ?? Buffer.alloc(0),
            message.value ?? Buffer.alloc(0),
            Buffer.from(JSON.stringify(headers)),
          ]),
        });
        tap.next.set(partition, BigInt(message.offset) + 1n);
      },
    });
    for (const s of starts) consumer.seek({ topic, partition: s.partition, offset: s.offset });
    return tap;
  }

  /** Waits until every record written to the topic before this call has been read. */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(this.topic);
    await admin.disconnect();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (ends.every((e) => (this.next.get(e.partition) ?? 0n) >= BigInt(e.high))) return;
      if (Date.now() > deadline) throw new Error(`tap on ${this.topic} did not catch up in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  withKey(key: string): TappedRecord[] {
    return this.records.filter((r) => r.key?.toString('utf8') === key);
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
  }
}
