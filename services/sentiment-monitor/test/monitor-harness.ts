// Test helpers for the sentiment monitor as a real process on the real broker and a fresh database:
// start it on its own port and consumer group (positioned at the end of news.scored.v1, so the
// shared topic's history from other runs is skipped), publish ScoredArticle records with their
// event-id headers, read the alerts topic, follow the SSE stream, and a local HTTP server standing
// in for a customer's webhook endpoint (the one boundary we do not own).
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  DeadLetterSchema,
  ScoredArticleSchema,
  SentimentAlertSchema,
  SentimentLabel,
  Topics,
  type DeadLetter,
  type SentimentAlert,
} from '@mercato/contracts';
import {
  requireEnv,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  freePort,
} from '@mercato/dev-stack';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export const MINUTE = 60_000;

export { freePort };

/** Unique upper-case tickers for this run, so parallel runs on the shared topic never mix. */
export const uniqueTicker = (prefix: string): string =>
  `${prefix}${uniqueSuffix().toUpperCase().slice(-8)}${Math.floor(Math.random() * 1e4)}`.slice(0, 32);

/**
 * Commits the current end offsets of news.scored.v1 for a new consumer group, before the service
 * first joins it. (admin.resetOffsets would commit the "latest" sentinel -1, which a consumer
 * subscribed fromBeginning reads as "no offset": it would start at the beginning.)
 */
export async function groupAtTopicEnd(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(Topics.newsScored.name);
    await admin.setOffsets({
      groupId,
      topic: Topics.newsScored.name,
      partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
    });
    const committed = await admin.fetchOffsets({ groupId, topics: [Topics.newsScored.name] });
    const atEnd = committed[0]?.partitions.every(
      (p) => p.offset === ends.find((e) => e.partition === p.partition)?.high,
    );
    if (!atEnd) throw new Error(`could not move ${groupId} to the end of ${Topics.newsScored.name}`);
  } finally {
    await admin.disconnect();
  }
}

export interface Monitor extends ServiceProcess {
  groupId: string;
}

export async function startMonitor(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: { groupId?: string; port?: number } = {},
): Promise<Monitor> {
  const port = options.port ?? (await freePort());
  const groupId = options.groupId ?? `test-sentiment-monitor-${uniqueSuffix()}`;
  if (!options.groupId) await groupAtTopicEnd(testKafka(), groupId);
  const svc = await startService('sentiment-monitor', {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    KAFKA_CONSUMER_GROUP: groupId,
    HTTP_PORT: String(port),
    LOG_LEVEL: 'warn',
    WEBHOOK_POLL_MS: '200',
    WEBHOOK_BACKOFF_MS: '300',
    // The receivers below listen on 127.0.0.2, which the egress policy admits only because it is
    // listed here: every other loopback, private or link-local address stays refused.
    WEBHOOK_ALLOWED_CIDRS: RECEIVER_HOST,
    ALERT_RELAY_POLL_MS: '200',
    SSE_POLL_MS: '200',
    SSE_HEARTBEAT_MS: '500',
    // No registry listens there: versions get the default confusion (never another run's registry).
    MODEL_REGISTRY_URL: `http://127.0.0.1:${await freePort()}`,
    ...env,
  });
  return Object.assign(svc, { groupId });
}

export type LabelName = 'negative' | 'neutral' | 'positive';

export interface ScoredInput {
  ticker: string;
  label: LabelName;
  publishedAt: number;
  /** The model's probability of the label (the rest split evenly). */
  probability?: number;
  eventId?: string;
  articleId?: string;
  headline?: string;
  source?: string;
  /** Empty: the monitor's TENANT_ID. */
  tenantId?: string;
  /** The version of the model `sentiment` that scored it (default 7). */
  modelVersion?: string;
  /** The W3C trace context the record carries (empty: none). */
  traceparent?: string;
}

export type Scored = Required<ScoredInput>;

const LABEL: Record<LabelName, SentimentLabel> = {
  negative: SentimentLabel.NEGATIVE,
  neutral: SentimentLabel.NEUTRAL,
  positive: SentimentLabel.POSITIVE,
};

export function scored(input: ScoredInput): Scored {
  const eventId = input.eventId ?? randomUUID();
  return {
    probability: 0.9,
    articleId: `art-${eventId.slice(0, 8)}`,
    headline: `${input.ticker} ${input.label} news ${eventId.slice(0, 6)}`,
    source: 'test-wire',
    tenantId: '',
    modelVersion: '7',
    traceparent: '',
    eventId,
    ...input,
  };
}

function encode(r: Scored) {
  const rest = (1 - r.probability) / 2;
  const value = create(ScoredArticleSchema, {
    articleId: r.articleId,
    tenantId: r.tenantId,
    ticker: r.ticker,
    source: r.source,
    headline: r.headline,
    publishedAt: timestampFromMs(r.publishedAt),
    label: LABEL[r.label],
    probNegative: r.label === 'negative' ? r.probability : rest,
    probNeutral: r.label === 'neutral' ? r.probability : rest,
    probPositive: r.label === 'positive' ? r.probability : rest,
    modelName: 'sentiment',
    modelVersion: r.modelVersion,
    receivedAt: timestampFromMs(r.publishedAt + 1_000),
    scoredAt: timestampFromMs(Date.now()),
  });
  return {
    key: r.ticker,
    value: Buffer.from(toBinary(ScoredArticleSchema, value)),
    headers: {
      'event-id': r.eventId,
      schema: ScoredArticleSchema.typeName,
      ...(r.traceparent ? { traceparent: r.traceparent } : {}),
    },
  };
}

export async function publish(producer: Producer, records: readonly Scored[]): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    await producer.send({
      topic: Topics.newsScored.name,
      acks: -1,
      messages: records.slice(i, i + 500).map(encode),
    });
  }
}

/** Ten records in a 5-minute window: exactly 3 negative, 4 neutral, 3 positive, spread over it. */
export function mixedWindow(ticker: string, start: number, perWindow = 10): Scored[] {
  const cycle: LabelName[] = [
    'neutral',
    'negative',
    'positive',
    'neutral',
    'negative',
    'positive',
    'neutral',
    'negative',
    'positive',
    'neutral',
  ];
  return Array.from({ length: perWindow }, (_, i) =>
    scored({
      ticker,
      label: cycle[i % cycle.length] as LabelName,
      publishedAt: start + Math.floor((i * 5 * MINUTE) / perWindow),
    }),
  );
}

/** An hour boundary well in the past: event time is what counts, not the wall clock. */
export const hourAligned = (hoursAgo: number): number =>
  Math.floor(Date.now() / 3_600_000) * 3_600_000 - hoursAgo * 3_600_000;

/** Every record on sentiment.alerts.v1 whose key is one of the tickers, with its event-id header. */
export async function followAlerts(
  tickers: () => ReadonlySet<string>,
): Promise<{ alerts: { eventId: string; alert: SentimentAlert }[]; stop(): Promise<void> }> {
  const alerts: { eventId: string; alert: SentimentAlert }[] = [];
  const consumer: Consumer = testKafka().consumer({
    groupId: `test-sentiment-alerts-${uniqueSuffix()}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.sentimentAlerts.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString() ?? '';
      if (!tickers().has(key)) return;
      alerts.push({
        eventId: message.headers?.['event-id']?.toString() ?? '',
        alert: fromBinary(SentimentAlertSchema, message.value ?? new Uint8Array()),
      });
    },
  });
  return { alerts, stop: () => consumer.disconnect() };
}

/** Dead letters of news.scored.v1 whose original event id is one of `eventIds`. */
export async function followDeadLetters(
  eventIds: ReadonlySet<string>,
): Promise<{ letters: DeadLetter[]; stop(): Promise<void> }> {
  const letters: DeadLetter[] = [];
  const consumer: Consumer = testKafka().consumer({
    groupId: `test-sentiment-dlq-${uniqueSuffix()}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.newsScored.deadLetter, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const letter = fromBinary(DeadLetterSchema, message.value ?? new Uint8Array());
      if (eventIds.has(letter.originalHeaders['event-id'] ?? '')) letters.push(letter);
    },
  });
  return { letters, stop: () => consumer.disconnect() };
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** A server-sent-events client over fetch: parsed events and comment lines, as they arrive. */
export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; events: SseEvent[]; comments: string[]; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { data: '' };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              event.data += line.slice(6);
              isEvent = true;
            }
          }
          if (isEvent) events.push(event);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return { status: res.status, events, comments, close: () => controller.abort() };
}

/** Where webhookReceiver listens (Linux routes all of 127.0.0.0/8 to the loopback interface). */
export const RECEIVER_HOST = '127.0.0.2';

export interface ReceivedHook {
  body: string;
  headers: IncomingHttpHeaders;
  status: number;
}

/** A customer's webhook endpoint: answers with the given statuses in turn (the last one repeats). */
export async function webhookReceiver(
  statuses: number[],
): Promise<{ url: string; received: ReceivedHook[]; close(): Promise<void> }> {
  const received: ReceivedHook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses[Math.min(received.length, statuses.length - 1)] as number;
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, RECEIVER_HOST, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${RECEIVER_HOST}:${port}/hooks/mercato?token=abc`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const getJson = async (
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> => {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

export const sendJson = async (
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> => {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};
