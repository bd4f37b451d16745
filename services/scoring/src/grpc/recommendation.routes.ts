// RecommendationService.GetRecommendations over gRPC: the same validation, ranking and response as
// GET /v1/users/{userId}/recommendations, with zod's field errors as INVALID_ARGUMENT. A tenant another
// shard holds (RECS_SHARDS > 1) is answered by that shard's HTTP route, with the caller's credentials.
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
import type { RecommendationsView } from '../recommendations/recommendations.dto';
import { ShardUnavailableError, type ShardAnswer, type TenantShards } from '../recommendations/tenant-shards';
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

/** The owning shard's answer to the same request, over its HTTP route. */
async function viewFromOwner(
  shards: TenantShards,
  tenantId: string,
  req: GetRecommendationsRequest,
  requestHeader: Headers,
): Promise<RecommendationsView> {
  const params = new URLSearchParams();
  if (req.k !== 0) params.set('k', String(req.k));
  if (req.exclude.length > 0) params.set('exclude', req.exclude.join(','));
  if (req.category !== '') params.set('category', req.category);
  const path = `/v1/users/${encodeURIComponent(req.userId)}/recommendations?${params.toString()}`;
  let res: ShardAnswer;
  try {
    res = await shards.forward(tenantId, path, Object.fromEntries(requestHeader.entries()));
  } catch (err) {
    throw new ConnectError((err as Error).message, Code.Unavailable);
  }
  if (res.status === 200) return JSON.parse(res.body.toString('utf8')) as RecommendationsView;
  const reason = new ShardUnavailableError(shards.ownerOf(tenantId), `answered ${res.status}`).message;
  throw new ConnectError(reason, res.status >= 500 ? Code.Unavailable : Code.Internal);
}

export function recommendationRoutes(
  recommendations: RecommendationsService,
  authenticator: Authenticator,
  shards: TenantShards,
) {
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
          view = shards.owns(principal.tenantId)
            ? recommendations.recommend(principal.tenantId, parsed.data, 'grpc')
            : await viewFromOwner(shards, principal.tenantId, req, context.requestHeader);
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
