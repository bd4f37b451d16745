// vitest global setup: the real broker and database every integration spec uses, started when not
// already running (and stopped afterwards only if started here), with the catalogue's topics created.
import { createKafka, ensureTopics } from '@mercato/kafka';
import { createLogger } from '@mercato/telemetry';
import { ensureLocalKafka, ensureLocalPostgres, type KafkaHandle, type PostgresHandle } from './infra';

let kafka: KafkaHandle | undefined;
let pg: PostgresHandle | undefined;

export async function setup(): Promise<void> {
  const log = (msg: string): void => {
    process.stdout.write(`[test infra] ${msg}\n`);
  };
  kafka = await ensureLocalKafka(log);
  pg = await ensureLocalPostgres(log);
  process.env.KAFKA_BROKERS = kafka.brokers;
  process.env.DATABASE_URL = pg.url;
  const client = createKafka({ clientId: 'mercato-test-setup', brokers: kafka.brokers.split(','), logger: createLogger('test', 'warn') });
  await ensureTopics(client);
}

export async function teardown(): Promise<void> {
  await pg?.stop();
  await kafka?.stop();
}
