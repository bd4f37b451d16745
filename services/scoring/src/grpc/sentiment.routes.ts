// SentimentService.ScoreText over gRPC: the same validation, routing by tenant and role, and scores
// as POST /v1/sentiment, with zod's field errors as INVALID_ARGUMENT.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import type { Authenticator } from '@mercato/auth';
import { ScoreTextResponseSchema, SentimentLabel, SentimentService } from '@mercato/contracts';
import type { SentimentLabelName } from '@mercato/ml';
import { SentimentRequest } from '../sentiment/sentiment.dto';
import type { TextScoringService } from '../sentiment/text-scoring.service';
import { authenticateGrpc } from './grpc-auth';

const LABELS: Record<SentimentLabelName, SentimentLabel> = {
  negative: SentimentLabel.NEGATIVE,
  neutral: SentimentLabel.NEUTRAL,
  positive: SentimentLabel.POSITIVE,
};

export function sentimentRoutes(scoring: TextScoringService, authenticator: Authenticator) {
  return (router: ConnectRouter): void => {
    router.service(SentimentService, {
      async scoreText(req, context) {
        const principal = await authenticateGrpc(authenticator, context.requestHeader, 'sentiment:read');
        const parsed = SentimentRequest.safeParse({ texts: req.texts, model: req.model || undefined });
        if (!parsed.success) {
          const errors = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`);
          throw new ConnectError(`invalid request: ${errors.join('; ')}`, Code.InvalidArgument);
        }
        const response = await scoring.score(principal.tenantId, parsed.data.texts, parsed.data.model);
        if (!response)
          throw new ConnectError(
            parsed.data.model === 'teacher'
              ? 'no production teacher model yet'
              : 'no production sentiment model yet',
            Code.Unavailable,
          );
        return create(ScoreTextResponseSchema, {
          scores: response.results.map((r) => ({
            label: LABELS[r.label],
            probNegative: r.probabilities.negative,
            probNeutral: r.probabilities.neutral,
            probPositive: r.probabilities.positive,
            topTokens: r.topTokens,
          })),
          modelName: response.model.name,
          modelVersion: String(response.model.version),
          modelOwner: response.model.owner,
          modelArchitecture: response.model.architecture,
        });
      },
    });
  };
}
