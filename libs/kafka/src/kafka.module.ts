// Nest wiring: one kafkajs client per service, the typed producer, and (for consumers) the
// transport, all sharing the service's logger and readiness checks.
import {
  Global,
  Module,
  Optional,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HealthRegistry, type Logger } from '@mercato/telemetry';
import { Kafka, type Admin } from 'kafkajs';
import { createKafka, type KafkaClientOptions } from './client';
import { EventProducer } from './producer';
import { KafkaTransport, type KafkaTransportOptions } from './transport';

export interface KafkaModuleOptions {
  client: KafkaClientOptions;
  /** Present for services that consume: the consumer group and retry policy. */
  consumer?: Omit<KafkaTransportOptions, 'logger'>;
  logger: Logger;
}

const KAFKA_OPTIONS = Symbol('KAFKA_OPTIONS');

class KafkaLifecycle implements OnModuleInit, OnApplicationShutdown {
  private admin: Admin | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: EventProducer,
    @Optional() private readonly health?: HealthRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.admin = this.kafka.admin();
    this.health?.register('kafka', async () => {
      await this.admin?.connect();
      await this.admin?.describeCluster();
    });
    await this.producer.connect();
  }

  // Runs after the transport has drained (Nest closes microservices before shutdown hooks).
  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
    await this.admin?.disconnect();
  }
}

@Global()
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    const providers = [
      { provide: KAFKA_OPTIONS, useValue: options },
      { provide: Kafka, useFactory: () => createKafka(options.client) },
      { provide: EventProducer, useFactory: (kafka: Kafka) => new EventProducer(kafka), inject: [Kafka] },
      KafkaLifecycle,
    ];
    const consumer = options.consumer;
    if (consumer) {
      providers.push({
        provide: KafkaTransport,
        useFactory: (kafka: Kafka, producer: EventProducer, health?: HealthRegistry) =>
          new KafkaTransport(kafka, producer, { ...consumer, logger: options.logger }, health),
        inject: [Kafka, EventProducer, { token: HealthRegistry, optional: true }],
      } as never);
    }
    return {
      module: KafkaModule,
      providers,
      exports: [Kafka, EventProducer, ...(consumer ? [KafkaTransport] : [])],
    };
  }
}
