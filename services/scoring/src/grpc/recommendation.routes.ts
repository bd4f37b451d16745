// RecommendationService.GetRecommendations over gRPC: the same validation, ranking and response as
// GET /v1/users/{userId}/recommendations, with zod's field errors as INVALID_ARGUMENT.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import {
  GetRecommendationsResponseSchema,
  RecommendationReason,
  RecommendationService,
  type GetRecommendationsRequest,
} from '@mercato/contracts';
import { RecommendationsQuery } from '../recommendations/recommendations.dto';
import {
  RankingFailedError,
  StateLoadingError,
  type RecommendationsService,
} from '../recommendations/recommendations.service';
import type { Reason } from '../recommendations/ranking';
import type { Authenticator } from '@mercato/auth';
import { authenticateGrpc } from './grpc-auth';

const REASONS: Record<Reason, RecommendationReason> = {
  personalized: RecommendationReason.PERSONALIZED,
  popular: RecommendationReason.POPULAR,
  similar_to_recent: RecommendationReason.SIMILAR_TO_RECENT,
};

/** The request as the HTTP query would carry it (k 0 = unset, as proto3 cannot tell them apart). */
export function queryOf(req: GetRecommendationsRequest): Record<string, unknown> {
  return {
    userId: req.userId,
    k: req.k === 0 ? undefined : req.k,
    exclude: req.exclude.join(','),
    category: req.category === '' ? undefined : req.category,
  };
}

export function recommendationRoutes(recommendations: RecommendationsService, authenticator: Authenticator) {
  return (router: ConnectRouter): void => {
    router.service(RecommendationService, {
      async getRecommendations(req, context) {
        const principal = await authenticateGrpc(authenticator, context.requestHeader, 'recs:read');
        const parsed = RecommendationsQuery.safeParse(queryOf(req));
        if (!parsed.success) {
          const errors = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`);
          throw new ConnectError(`invalid request: ${errors.join('; ')}`, Code.InvalidArgument);
        }
        let view;
        try {
          view = recommendations.recommend(principal.tenantId, parsed.data, 'grpc');
        } catch (err) {
          if (err instanceof RankingFailedError) throw new ConnectError('ranking failed', Code.Internal);
          if (err instanceof StateLoadingError) throw new ConnectError(err.message, Code.Unavailable);
          throw err;
        }
        return create(GetRecommendationsResponseSchema, {
          items: view.items.map((i) => ({ itemId: i.itemId, score: i.score, reason: REASONS[i.reason] })),
          modelName: view.modelName,
          modelVersion: view.modelVersion === null ? '' : String(view.modelVersion),
          variant: view.variant,
        });
      },
    });
  };
}
