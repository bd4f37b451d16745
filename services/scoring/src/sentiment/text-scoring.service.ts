// Synchronous scoring for the HTTP API: the serving model's labels, probabilities and top tokens for
// up to 100 texts, all from one version (the one current when the request started).
import { Injectable } from '@nestjs/common';
import { SentimentInference } from './sentiment-inference';
import { SentimentModelService } from './sentiment-model.service';
import type { SentimentResponse } from './sentiment.dto';

@Injectable()
export class TextScoringService {
  constructor(
    private readonly models: SentimentModelService,
    private readonly inference: SentimentInference,
  ) {}

  /** Undefined while no production model has been loaded. */
  async score(texts: string[]): Promise<SentimentResponse | undefined> {
    const lease = this.models.acquire();
    if (!lease) return undefined;
    try {
      const { name, version, model } = lease.model;
      const scores = await this.inference.score(model, texts, 'http');
      return { model: { name, version }, results: scores };
    } finally {
      lease.release();
    }
  }
}
