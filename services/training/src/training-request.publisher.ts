// Publishes training requests on training.requests.v1 (the retraining triggers' output).
import { Topics, ModelKind } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import { Injectable } from '@nestjs/common';

export interface RetrainRequest {
  requestId: string;
  tenantId: string;
  modelName: string;
  datasetRef: string;
  requestedBy: string;
  requestedAt: Date;
  /** Default: a recommender, trained with its defaults. */
  kind?: ModelKind;
  architecture?: string;
  teacher?: string;
  hyperparameters?: Record<string, string>;
}

@Injectable()
export class TrainingRequestPublisher {
  constructor(private readonly producer: EventProducer) {}

  /** The request id is the event id, so consumers dedupe a republished request. Promoted if better. */
  async publish(request: RetrainRequest): Promise<void> {
    const ms = request.requestedAt.getTime();
    await this.producer.send(Topics.trainingRequests, [
      {
        key: request.modelName,
        eventId: request.requestId,
        tenantId: request.tenantId,
        value: {
          tenantId: request.tenantId,
          requestId: request.requestId,
          modelName: request.modelName,
          kind: request.kind ?? ModelKind.RECOMMENDER,
          datasetRef: request.datasetRef,
          hyperparameters: request.hyperparameters ?? {},
          architecture: request.architecture ?? '',
          teacher: request.teacher ?? '',
          baseVersion: '',
          promoteIfBetter: true,
          requestedBy: request.requestedBy,
          requestedAt: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 },
        },
      },
    ]);
  }
}
