// Drift of each tenant's production sentiment model: the predictions scoring makes on the stream are
// counted per (tenant, model, version) and, every SENTIMENT_DRIFT_WINDOW predictions, compared with
// the distribution the version showed on its held-out evaluation (the `reference_*` metrics training
// records): the population stability index of the predicted classes and of the confidence, and the
// share of the texts' words (or word pieces) outside the model's vocabulary against the held-out
// texts' share. Each window's figures are Prometheus gauges and a ModelMonitoring event on
// models.monitoring.v1, whose `drifted` lists the signals at or above DRIFT_PSI_THRESHOLD, and
// `unknown_rate` when the unknown share rose DRIFT_UNKNOWN_RATE_MARGIN or more (the training
// service retrains on it).
// A version without a reference (trained before references existed) is not judged. A failed publish
// is logged: the next window publishes again, and the gauges are there meanwhile.
import { ModelKind, Topics } from '@mercato/contracts';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EventProducer } from '@mercato/kafka';
import {
  SENTIMENT_LABELS,
  predictionCounts,
  profileOf,
  psi,
  unknownRateDrifted,
  type PredictionProfile,
} from '@mercato/ml';
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
  /** Words (or word pieces) of the window's texts, and those outside the model's vocabulary. */
  units: number;
  unknownUnits: number;
  startedAt: Date;
}

export interface DriftFigures {
  psiPredictedClass: number;
  psiConfidence: number;
  /** Share of the window's units outside the model's vocabulary. */
  unknownRate: number;
  live: PredictionProfile;
  drifted: string[];
}

/**
 * The window against the reference: both indices and which are at or above the threshold, and the
 * unknown-unit rate, drifted when it rose `unknownMargin` or more over the reference's.
 */
export function judgeWindow(
  reference: PredictionProfile,
  counts: { classes: number[]; confidence: number[]; units: number; unknownUnits: number },
  limits: { threshold: number; unknownMargin: number },
): DriftFigures {
  const live = profileOf(counts);
  const psiPredictedClass = psi(reference.classes, live.classes);
  const psiConfidence = psi(reference.confidence, live.confidence);
  const unknownRate = counts.units === 0 ? 0 : counts.unknownUnits / counts.units;
  const drifted = [
    ...(psiPredictedClass >= limits.threshold ? ['psi_predicted_class'] : []),
    ...(psiConfidence >= limits.threshold ? ['psi_confidence'] : []),
    ...(unknownRateDrifted(reference, unknownRate, limits.unknownMargin) ? ['unknown_rate'] : []),
  ];
  return { psiPredictedClass, psiConfidence, unknownRate, live: { ...live, unknownRate }, drifted };
}

@Injectable()
export class PredictionDriftService {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly producer: EventProducer,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Counts a slice of the stream's predictions (and their texts); a full window is judged and published. */
  async observe(
    tenantId: string,
    serving: ServingModel,
    texts: string[],
    scores: readonly ArticleScore[],
  ): Promise<void> {
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
            units: 0,
            unknownUnits: 0,
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
    const unknown = serving.model.unknownStats(texts);
    window.units += unknown.pieces;
    window.unknownUnits += unknown.unknown;
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
    const unknownMargin = this.config.DRIFT_UNKNOWN_RATE_MARGIN;
    const figures = judgeWindow(reference, window, { threshold, unknownMargin });
    const labels = { tenant: tenantId, model: serving.name, version: String(serving.version) };
    sentimentMetrics.driftPsi.set({ ...labels, signal: 'predicted_class' }, figures.psiPredictedClass);
    sentimentMetrics.driftPsi.set({ ...labels, signal: 'confidence' }, figures.psiConfidence);
    sentimentMetrics.unknownRate.set(labels, figures.unknownRate);
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
              unknown_rate: figures.unknownRate,
              unknown_rate_margin: unknownMargin,
              ...(reference.unknownRate === undefined
                ? {}
                : { reference_unknown_rate: reference.unknownRate }),
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
