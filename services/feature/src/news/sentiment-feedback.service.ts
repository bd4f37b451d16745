// Sentiment feedback: an analyst's correct label for an article of their tenant (its stored,
// normalized text) or for a text they give, kept with who and when. Another tenant's article is as
// unknown as a missing one (404), so feedback never reveals what other tenants hold.
import type { Principal } from '@mercato/auth';
import { notFound } from '@mercato/runtime';
import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { ArticleFeaturesRepository } from './article-features.repository';
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
      submittedBy: principal.subject,
    });
    newsMetrics.feedback.inc({ label: body.label });
    return stored;
  }
}
