// HTTP: analysts' sentiment label corrections (scope sentiment:feedback), stored in the feature
// store; the next sentiment fine-tune of the tenant trains on them (GET /v1/datasets/sentiment-feedback).
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import type { z } from '@mercato/config';
import { ErrorResponses, JsonBody, JsonResponse, ValidBody } from '@mercato/runtime';
import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { FeedbackBody, FeedbackView } from './sentiment-feedback.dto';
import type { SentimentFeedback } from './sentiment-feedback.repository';
import { SentimentFeedbackService } from './sentiment-feedback.service';

const view = (f: SentimentFeedback): z.infer<typeof FeedbackView> => ({
  feedbackId: f.feedbackId,
  articleId: f.articleId,
  text: f.text,
  label: f.label as z.infer<typeof FeedbackView>['label'],
  served: f.served as z.infer<typeof FeedbackView>['served'],
  submittedBy: f.submittedBy,
  submittedAt: f.submittedAt.toISOString(),
});

@ApiTags('sentiment feedback')
@Controller('v1/sentiment/feedback')
export class SentimentFeedbackController {
  constructor(private readonly feedback: SentimentFeedbackService) {}

  @RequireScopes('sentiment:feedback')
  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Correct the sentiment label of an article (or a text)',
    description:
      'Stored with who and when; the latest label of each text joins the next sentiment fine-tune of the tenant.',
  })
  @JsonBody(FeedbackBody)
  @JsonResponse(201, 'stored', FeedbackView)
  @ErrorResponses(
    [400, 'a label outside the classes, or not exactly one of articleId and text'],
    [404, 'no such article in this tenant'],
  )
  async submit(
    @CurrentPrincipal() principal: Principal,
    @ValidBody(FeedbackBody) body: FeedbackBody,
  ): Promise<z.infer<typeof FeedbackView>> {
    return view(await this.feedback.submit(principal, body));
  }
}
