// Publishes a tenant's feedback disagreement as a ModelMonitoring event on models.monitoring.v1
// (key: the model name), the contract scoring's prediction drift uses too: the training service
// retrains on `drifted` either way, and the monitor's dashboard shows both.
import { ModelKind, Topics } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Injectable } from '@nestjs/common';

export interface FeedbackDisagreement {
  tenantId: string;
  model: string;
  version: number;
  /** Corrections in the window (those that say what the model had said) and those that differ. */
  sample: number;
  disagreed: number;
  rate: number;
  window: number;
  threshold: number;
  drifted: boolean;
  since: Date;
  /** Distinct texts the tenant has corrected: the training service retrains after enough new ones. */
  texts: number;
}

@Injectable()
export class FeedbackMonitoringPublisher {
  constructor(private readonly producer: EventProducer) {}

  async publish(d: FeedbackDisagreement): Promise<void> {
    await this.producer.send(Topics.modelMonitoring, [
      {
        key: d.model,
        tenantId: d.tenantId,
        value: {
          tenantId: d.tenantId,
          modelName: d.model,
          kind: ModelKind.SENTIMENT,
          version: String(d.version),
          windowStart: timestampFromDate(d.since),
          windowEnd: timestampFromDate(new Date()),
          sample: d.sample,
          figures: {
            feedback_disagreement: d.rate,
            feedback_disagreed: d.disagreed,
            feedback_window: d.window,
            feedback_texts: d.texts,
          },
          drifted: d.drifted ? ['feedback_disagreement'] : [],
          threshold: d.threshold,
        },
      },
    ]);
  }
}
