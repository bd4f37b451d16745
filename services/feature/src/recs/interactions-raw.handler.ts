// Kafka entry: interactions.raw.v1 → InteractionsService, a fetched batch of one partition at a time.
import { Topics, type Interaction } from '@mercato/contracts';
import { OnTopicBatch, type DecodedRecord } from '@mercato/kafka';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { InteractionsService } from './interactions.service';

@Controller()
export class InteractionsRawHandler {
  constructor(private readonly interactions: InteractionsService) {}

  @OnTopicBatch(Topics.interactionsRaw)
  async handle(@Payload() records: DecodedRecord<Interaction>[]): Promise<void> {
    await this.interactions.recordBatch(records);
  }
}
