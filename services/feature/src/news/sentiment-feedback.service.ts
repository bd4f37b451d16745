// Sentiment feedback: an analyst's correct label for an article of their tenant (its stored,
// normalized text) or for a text they give, kept with who and when. Another tenant's article is as
// unknown as a missing one (404), so feedback never reveals what other tenants hold. A correction
// that says what the model had said updates the tenant's feedback disagreement rate (the share of
// its latest FEEDBACK_DISAGREEMENT_WINDOW such corrections that give another label): a Prometheus
// gauge and a ModelMonitoring event, `drifted` once a full window is at or above
// FEEDBACK_DISAGREEMENT_THRESHOLD. A failed publish is logged: the correction is stored, and the
// next one publishes the rate again.
import type { Principal } from '@mercato/auth';
import { notFound, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { FeatureConfig } from '../feature.config';
import { ArticleFeaturesRepository } from './article-features.repository';
import { FeedbackMonitoringPublisher } from './feedback-monitoring.publisher';
import type { FeedbackBody } from './sentiment-feedback.dto';
import { SentimentFeedbackRepository, type SentimentFeedback } from './sentiment-feedback.repository';
import { newsMetrics } from './news-metrics';
import { normalizeText } from './text-normalization';

/** The dedupe key of a training text: SHA-256 of its normalized, lower-cased form. */
export const feedbackTextHash = (text: string): string =>
  createHash('sha256').update(normalizeText(text).toLowerCase()).digest('hex');

@Injectable()
export class SentimentFeedbackService {
  constructor(
    private readonly articles: ArticleFeaturesRepository,
    private readonly feedback: SentimentFeedbackRepository,
    private readonly monitoring: FeedbackMonitoringPublisher,
    @Inject(SERVICE_CONFIG) private readonly config: FeatureConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  async submit(principal: Principal, body: FeedbackBody): Promise<SentimentFeedback> {
    let text: string;
    if (body.articleId !== undefined) {
      const [article] = await this.articles.find([
        { tenantId: principal.tenantId, articleId: body.articleId },
      ]);
      if (!article) throw notFound(`no article "${body.articleId}" in this tenant`, 'articleId');
      text = article.normalizedText;
    } else {
      text = normalizeText(body.text ?? '');
    }
    const stored = await this.feedback.append({
      tenantId: principal.tenantId,
      feedbackId: randomUUID(),
      articleId: body.articleId ?? null,
      text,
      textHash: feedbackTextHash(text),
      label: body.label,
      served: body.served ?? null,
      submittedBy: principal.subject,
    });
    newsMetrics.feedback.inc({ label: body.label });
    if (body.served) await this.measureDisagreement(principal.tenantId, body.served);
    return stored;
  }

  private async measureDisagreement(
    tenantId: string,
    served: { model: string; version: number },
  ): Promise<void> {
    const window = this.config.FEEDBACK_DISAGREEMENT_WINDOW;
    const threshold = this.config.FEEDBACK_DISAGREEMENT_THRESHOLD;
    const { sample, disagreed, since, texts } = await this.feedback.disagreement(tenantId, window);
    const rate = sample === 0 ? 0 : disagreed / sample;
    newsMetrics.feedbackDisagreement.set({ tenant: tenantId, model: served.model }, rate);
    try {
      await this.monitoring.publish({
        tenantId,
        ...served,
        sample,
        disagreed,
        rate,
        window,
        threshold,
        drifted: sample >= window && rate >= threshold,
        texts,
        since: since ?? new Date(),
      });
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message, tenantId, model: served.model },
        'could not publish the feedback disagreement; the next correction will',
      );
    }
  }
}
