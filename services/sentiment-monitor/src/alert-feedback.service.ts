// An analyst's correction of a label from an alert's evidence list (the dashboard's "correct"):
// the alert must be one of the caller's tenant and the article one of its evidence (404 otherwise,
// as if it did not exist), then the feature service stores the correction for the analyst.
import type { Principal } from '@mercato/auth';
import { notFound } from '@mercato/runtime';
import { Injectable } from '@nestjs/common';
import { SentimentFeedbackClient, type StoredFeedback } from './sentiment-feedback.client';
import { SentimentQueryService } from './sentiment-query.service';

@Injectable()
export class AlertFeedbackService {
  constructor(
    private readonly query: SentimentQueryService,
    private readonly feature: SentimentFeedbackClient,
  ) {}

  async correct(
    principal: Principal,
    credential: string | undefined,
    alertId: string,
    body: { articleId: string; label: string },
  ): Promise<StoredFeedback> {
    const alert = await this.query.alert(principal.tenantId, alertId);
    if (!alert.evidence.some((e) => e.articleId === body.articleId))
      throw notFound(`article "${body.articleId}" is not in the evidence of alert ${alertId}`, 'articleId');
    return this.feature.submit({ credential, tenantId: principal.tenantId }, body);
  }
}
