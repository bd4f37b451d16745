// Synchronous scoring for the HTTP API: labels, probabilities and top tokens for up to 100 texts from
// the caller's tenant's model in the asked role (its own, else the platform's), all from one version
// (the one current when the request started); the answer names the model and whose it is.
import { PLATFORM_TENANT } from '@mercato/auth';
import { Injectable } from '@nestjs/common';
import { SentimentInference } from './sentiment-inference';
import { SentimentModelService, type SentimentRole } from './sentiment-model.service';
import type { SentimentResponse } from './sentiment.dto';

@Injectable()
export class TextScoringService {
  constructor(
    private readonly models: SentimentModelService,
    private readonly inference: SentimentInference,
  ) {}

  /** Undefined while there is no production model for the tenant in that role. */
  async score(
    tenantId: string,
    texts: string[],
    role: SentimentRole,
  ): Promise<SentimentResponse | undefined> {
    const lease = await this.models.acquireFor(tenantId, role);
    if (!lease) return undefined;
    try {
      const { owner, name, version, model } = lease.model;
      const scores = await this.inference.score(model, texts, 'http');
      return {
        model: {
          name,
          version,
          owner: owner === PLATFORM_TENANT ? 'platform' : 'tenant',
          architecture: model.architecture,
        },
        results: scores,
      };
    } finally {
      lease.release();
    }
  }
}
