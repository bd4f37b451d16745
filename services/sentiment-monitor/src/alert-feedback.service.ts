// An analyst's correction of a label from an alert's evidence list (the dashboard's "correct"):
// the alert must be one of the caller's tenant and the article one of its evidence (404 otherwise,
// as if it did not exist), then the feature service stores the correction for the analyst, with
// what the model had said: evidence headlines are labelled in the alert's direction, by the alert's
// version when one version scored it all (the feature service's disagreement rate counts these).
import type { Principal } from '@mercato/auth';
import { notFound } from '@mercato/runtime';
import { modelKeyOf } from './confusion';
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
    const [only, ...others] = alert.modelVersions;
    const version =
      only !== undefined && others.length === 0 ? modelKeyOf(only, principal.tenantId) : undefined;
    return this.feature.submit(
      { credential, tenantId: principal.tenantId },
      {
        ...body,
        ...(version && { served: { label: alert.direction, model: version.name, version: version.version } }),
      },
    );
  }
}
