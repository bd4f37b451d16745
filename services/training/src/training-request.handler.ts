// Kafka entry: training.requests.v1 → TrainingService. One request at a time per replica.
import { Topics, type TrainingRequest } from '@mercato/contracts';
import { KafkaEventContext, OnTopic } from '@mercato/kafka';
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { TrainingService } from './training.service';

@Controller()
export class TrainingRequestHandler {
  constructor(private readonly training: TrainingService) {}

  @OnTopic(Topics.trainingRequests)
  async handle(@Payload() request: TrainingRequest, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.training.handle(request, () => ctx.heartbeat());
  }
}
