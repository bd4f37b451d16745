// Runs the classifier: labels, class probabilities and the top tokens (gradient x input) of
// SENTIMENT_EXPLAIN_BATCH texts per `classify` call, the probabilities taken from the forward pass the
// gradient needs. TensorFlow's native binding runs each call synchronously on the event loop (about
// 0.3 ms per headline with the default student, a slice of 64 about 17 ms on an idle core), so every
// slice goes through one process-wide lane that gives the event loop a turn between slices: health
// checks, HTTP requests and Kafka heartbeats wait for one slice at most, whatever the number of
// partitions and requests being scored.
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
  private readonly sliceSize: number;
  private readonly lane = new InferenceLane();

  constructor(@Inject(SERVICE_CONFIG) config: ScoringConfig) {
    this.sliceSize = config.SENTIMENT_EXPLAIN_BATCH;
  }

  async score(model: SentimentClassifier, texts: string[], path: InferencePath): Promise<ArticleScore[]> {
    const scores = new Array<ArticleScore>(texts.length);
    // Texts of about the same length share a slice: a slice costs what its longest text costs.
    const order = texts.map((_, i) => i).sort((a, b) => (texts[a]?.length ?? 0) - (texts[b]?.length ?? 0));
    for (let i = 0; i < order.length; i += this.sliceSize) {
      const rows = order.slice(i, i + this.sliceSize);
      const slice = rows.map((r) => texts[r] as string);
      const classified = await this.lane.run(() => timed(path, () => model.classify(slice, TOP_TOKENS)));
      classified.forEach(({ label, probabilities, topTokens }, k) => {
        scores[rows[k] as number] = {
          label: SENTIMENT_LABELS[label] as SentimentLabelName,
          probabilities: {
            negative: probabilities[0],
            neutral: probabilities[1],
            positive: probabilities[2],
          },
          topTokens,
        };
      });
    }
    return scores;
  }
}

function timed<T>(path: InferencePath, work: () => T): T {
  const end = sentimentMetrics.inferenceSeconds.startTimer({ stage: 'classify', path });
  try {
    return work();
  } finally {
    end();
  }
}
