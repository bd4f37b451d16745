// Runs the classifier: class probabilities with one predict call per SENTIMENT_PREDICT_BATCH texts, and
// the top tokens by gradient x input in SENTIMENT_EXPLAIN_BATCH slices. TensorFlow's native binding runs
// each call synchronously on the event loop, and explain costs a forward and a backward pass (about
// 0.5-0.8 ms per headline with the default student, against 0.15 ms to predict), so every slice goes
// through one process-wide lane that gives the event loop a turn between slices: health checks, HTTP
// requests and Kafka heartbeats wait for one slice at most, whatever the number of partitions and
// requests being scored.
import { SENTIMENT_LABELS, type SentimentClassifier, type SentimentLabelName } from '@mercato/ml';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { ScoringConfig } from '../scoring.config';
import { InferenceLane } from './inference-lane';
import type { ArticleScore } from './scored-article.mapper';
import { sentimentMetrics } from './sentiment-metrics';

export const TOP_TOKENS = 5;

export type InferencePath = 'stream' | 'http';

@Injectable()
export class SentimentInference {
  private readonly predictBatch: number;
  private readonly explainBatch: number;
  private readonly lane = new InferenceLane();

  constructor(@Inject(SERVICE_CONFIG) config: ScoringConfig) {
    this.predictBatch = config.SENTIMENT_PREDICT_BATCH;
    this.explainBatch = config.SENTIMENT_EXPLAIN_BATCH;
  }

  async score(model: SentimentClassifier, texts: string[], path: InferencePath): Promise<ArticleScore[]> {
    const scores: ArticleScore[] = [];
    for (let i = 0; i < texts.length; i += this.predictBatch) {
      const slice = texts.slice(i, i + this.predictBatch);
      const predictions = await this.lane.run(() =>
        timed('predict', path, () => model.predict(slice, slice.length)),
      );
      for (let j = 0; j < slice.length; j += this.explainBatch) {
        const batch = slice.slice(j, j + this.explainBatch);
        const explanations = await this.lane.run(() =>
          timed('explain', path, () => model.explain(batch, TOP_TOKENS)),
        );
        explanations.forEach((topTokens, k) => {
          const { label, probabilities } = predictions[j + k] as (typeof predictions)[number];
          scores.push({
            label: SENTIMENT_LABELS[label] as SentimentLabelName,
            probabilities: {
              negative: probabilities[0],
              neutral: probabilities[1],
              positive: probabilities[2],
            },
            topTokens,
          });
        });
      }
    }
    return scores;
  }
}

function timed<T>(stage: 'predict' | 'explain', path: InferencePath, work: () => T): T {
  const end = sentimentMetrics.inferenceSeconds.startTimer({ stage, path });
  try {
    return work();
  } finally {
    end();
  }
}
