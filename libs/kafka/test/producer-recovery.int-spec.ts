// The idempotent producer after a send that gave up, on the real broker. Between the client and the
// broker sits a TCP relay that can lose the broker's answers to produce requests (the broker has
// stored the records; the client never hears so): the send fails after its retries, and the next
// send must still be stored. kafkajs alone would reuse the failed send's sequence numbers, and the
// broker would take the next record for a duplicate and drop it while answering success.
import { Topics } from '@mercato/contracts';
import { requireEnv, uniqueSuffix } from '@mercato/dev-stack';
import { createTestTopics, testTopic } from '@mercato/testing';
import { Kafka, logLevel, type ISocketFactory } from 'kafkajs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventProducer } from '../src/producer';
import { readAll } from './harness';

/** Calls onFrame with each whole Kafka frame (4-byte size, then the frame) of a byte stream. */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = 4 + pending.readInt32BE(0);
      onFrame(pending.subarray(0, size));
      pending = pending.subarray(size);
    }
  };
}

const PRODUCE_API_KEY = 0;

/** A relay to the one test broker that, while `loseProduceAnswers` is set, cuts the connection
 * instead of passing on the broker's answer to a produce request. */
class Relay {
  loseProduceAnswers = false;
  lost = 0;
  private readonly sockets = new Set<Socket>();

  private readonly server: Server;
  port = 0;

  private constructor(broker: { host: string; port: number }) {
    this.server = createServer((client) => this.pipe(client, broker));
  }

  static async start(broker: { host: string; port: number }): Promise<Relay> {
    const relay = new Relay(broker);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    const address = relay.server.address();
    relay.port = typeof address === 'object' && address ? address.port : 0;
    return relay;
  }

  private pipe(client: Socket, broker: { host: string; port: number }): void {
    const upstream = connect(broker);
    const produceRequests = new Set<number>();
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', cut);
      s.on('close', () => {
        this.sockets.delete(s);
        cut();
      });
    }
    client.on(
      'data',
      frames((frame) => {
        if (this.loseProduceAnswers && frame.readInt16BE(4) === PRODUCE_API_KEY)
          produceRequests.add(frame.readInt32BE(8));
        upstream.write(frame);
      }),
    );
    upstream.on(
      'data',
      frames((frame) => {
        if (produceRequests.has(frame.readInt32BE(4))) {
          this.lost++;
          cut();
          return;
        }
        client.write(frame);
      }),
    );
  }

  socketFactory: ISocketFactory = ({ onConnect }) =>
    connect({ host: '127.0.0.1', port: this.port }, onConnect);

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let relay: Relay;
let kafka: Kafka;

beforeAll(async () => {
  const [host = '127.0.0.1', port = '9092'] = requireEnv('KAFKA_BROKERS').split(',')[0]?.split(':') ?? [];
  relay = await Relay.start({ host, port: Number(port) });
  kafka = new Kafka({
    clientId: `producer-recovery-${uniqueSuffix()}`,
    brokers: requireEnv('KAFKA_BROKERS').split(','),
    socketFactory: relay.socketFactory,
    logLevel: logLevel.NOTHING,
  });
});

afterAll(async () => {
  await relay?.stop();
});

describe('EventProducer after a send that gave up', () => {
  it('stores the next record although the broker stored the failed send without answering', async () => {
    const spec = testTopic(Topics.newsRaw, 1);
    await createTestTopics(kafka, [spec]);
    const producer = new EventProducer(kafka, {
      retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 },
    });
    const record = (id: string) => ({ key: id, value: { articleId: id, source: 'test', headline: id } });
    try {
      await producer.send(spec, [record('a')]);

      relay.loseProduceAnswers = true;
      await expect(producer.send(spec, [record('b')])).rejects.toThrow();
      expect(relay.lost).toBeGreaterThan(0);
      relay.loseProduceAnswers = false;

      await producer.send(spec, [record('c')]);
    } finally {
      await producer.disconnect();
    }
    const stored = await readAll(kafka, spec.name, 3);
    // b was stored by the broker (once: its retries were duplicates of the same producer's batch).
    expect(stored.map((r) => r.key)).toEqual(['a', 'b', 'c']);
  }, 60_000);
});
