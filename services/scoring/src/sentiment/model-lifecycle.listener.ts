// Listens to models.lifecycle.v1 with a consumer group of its own per process: every replica must see
// every promotion, which one shared group would spread over the replicas. It commits nothing and
// starts at the end of the topic, because start-up (and the alias poll) read the alias itself; a
// group without committed offsets is dropped by the broker once the process leaves.
import { Topics, type ModelEvent } from '@mercato/contracts';
import { decode, withRecordContext } from '@mercato/kafka';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { Kafka, type Consumer } from 'kafkajs';
import { hostname } from 'node:os';
import type { ScoringConfig } from '../scoring.config';

@Injectable()
export class ModelLifecycleListener {
  private consumer: Consumer | undefined;
  readonly groupId: string;

  constructor(
    private readonly kafka: Kafka,
    @Inject(SERVICE_CONFIG) config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    const base = config.KAFKA_CONSUMER_GROUP ?? 'mercato-scoring';
    this.groupId = `${base}-lifecycle-${hostname()}-${process.pid}`;
  }

  async start(onEvent: (event: ModelEvent) => void): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 500,
    });
    consumer.on(consumer.events.GROUP_JOIN, () =>
      this.logger.info({ groupId: this.groupId }, 'listening for model lifecycle events'),
    );
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.logger.error(
        { groupId: this.groupId, err: payload.error.message },
        'model lifecycle listener stopped; the alias poll keeps the model current',
      );
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [Topics.modelLifecycle.name], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        try {
          const event = decode(Topics.modelLifecycle, message.value, message.headers);
          withRecordContext(message.headers, () => onEvent(event));
        } catch (err) {
          this.logger.warn(
            { partition, offset: message.offset, err: (err as Error).message },
            'skipping an unreadable model lifecycle event',
          );
        }
      },
    });
    this.consumer = consumer;
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect();
  }
}
