// Drift of each tenant's production sentiment model: the predictions scoring makes on the stream are
// counted per (tenant, model, version) and, every SENTIMENT_DRIFT_WINDOW predictions, compared with
// the distribution the version showed on its held-out evaluation (the `reference_*` metrics training
// records): the population stability index of the predicted classes and of the confidence. Each
// window's figures are Prometheus gauges and a ModelMonitoring event on models.monitoring.v1, whose
// `drifted` lists the signals at or above DRIFT_PSI_THRESHOLD (the training service retrains on it).
// A version without a reference (trained before references existed) is not judged. A failed publish
// is logged: the next window publishes again, and the gauges are there meanwhile.
import { ModelKind, Topics } from '@mercato/contracts';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EventProducer } from '@mercato/kafka';
import { SENTIMENT_LABELS, predictionCounts, profileOf, psi, type PredictionProfile } from '@mercato/ml';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import type { ScoringConfig } from '../scoring.config';
import type { ArticleScore } from './scored-article.mapper';
import type { ServingModel } from './sentiment-model.loader';
import { sentimentMetrics } from './sentiment-metrics';

interface Window {
  version: number;
  classes: number[];
  confidence: number[];
  count: number;
  startedAt: Date;
}

export interface DriftFigures {
  psiPredictedClass: number;
  psiConfidence: number;
  live: PredictionProfile;
  drifted: string[];
}

/** The window against the reference: both indices and which are at or above the threshold. */
export function judgeWindow(
  reference: PredictionProfile,
  counts: { classes: number[]; confidence: number[] },
  threshold: number,
): DriftFigures {
  const live = profileOf(counts);
  const psiPredictedClass = psi(reference.classes, live.classes);
  const psiConfidence = psi(reference.confidence, live.confidence);
  const drifted = [
    ...(psiPredictedClass >= threshold ? ['psi_predicted_class'] : []),
    ...(psiConfidence >= threshold ? ['psi_confidence'] : []),
  ];
  return { psiPredictedClass, psiConfidence, live, drifted };
}

@Injectable()
export class PredictionDriftService {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly producer: EventProducer,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Counts a slice of the stream's predictions; a full window is judged and published. */
  async observe(tenantId: string, serving: ServingModel, scores: readonly ArticleScore[]): Promise<void> {
    const { reference } = serving;
    if (!reference || scores.length === 0) return;
    // One window per tenant and model: a new version starts a new one (the old one is dropped).
    const key = `${tenantId}\u0000${serving.name}`;
    const open = this.windows.get(key);
    const window =
      open?.version === serving.version
        ? open
        : {
            version: serving.version,
            classes: SENTIMENT_LABELS.map(() => 0),
            confidence: Array.from({ length: reference.confidence.length }, () => 0),
            count: 0,
            startedAt: new Date(),
          };
    const counts = predictionCounts(
      scores.map((s) => ({
        label: SENTIMENT_LABELS.indexOf(s.label),
        probabilities: SENTIMENT_LABELS.map((l) => s.probabilities[l]),
      })),
    );
    counts.classes.forEach((n, i) => (window.classes[i] = (window.classes[i] ?? 0) + n));
    counts.confidence.forEach((n, i) => (window.confidence[i] = (window.confidence[i] ?? 0) + n));
    window.count += scores.length;
    if (window.count < this.config.SENTIMENT_DRIFT_WINDOW) {
      this.windows.set(key, window);
      return;
    }
    this.windows.delete(key);
    await this.publish(tenantId, serving, reference, window);
  }

  private async publish(
    tenantId: string,
    serving: ServingModel,
    reference: PredictionProfile,
    window: Window,
  ): Promise<void> {
    const threshold = this.config.DRIFT_PSI_THRESHOLD;
    const figures = judgeWindow(reference, window, threshold);
    const labels = { tenant: tenantId, model: serving.name, version: String(serving.version) };
    sentimentMetrics.driftPsi.set({ ...labels, signal: 'predicted_class' }, figures.psiPredictedClass);
    sentimentMetrics.driftPsi.set({ ...labels, signal: 'confidence' }, figures.psiConfidence);
    SENTIMENT_LABELS.forEach((l, i) =>
      sentimentMetrics.predictedShare.set({ ...labels, label: l }, figures.live.classes[i] ?? 0),
    );
    try {
      await this.producer.send(Topics.modelMonitoring, [
        {
          key: serving.name,
          tenantId,
          value: {
            tenantId,
            modelName: serving.name,
            kind: ModelKind.SENTIMENT,
            version: String(serving.version),
            windowStart: timestampFromDate(window.startedAt),
            windowEnd: timestampFromDate(new Date()),
            sample: window.count,
            figures: {
              psi_predicted_class: figures.psiPredictedClass,
              psi_confidence: figures.psiConfidence,
              ...Object.fromEntries(
                SENTIMENT_LABELS.map((l, i) => [`share_${l}`, figures.live.classes[i] ?? 0]),
              ),
            },
            drifted: figures.drifted,
            threshold,
          },
        },
      ]);
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message, tenantId, model: serving.name },
        'could not publish the drift figures; the next window will',
      );
      return;
    }
    if (figures.drifted.length > 0)
      this.logger.info(
        { tenantId, model: serving.name, version: serving.version, ...figures, live: undefined },
        'sentiment model drifted',
      );
  }
}
