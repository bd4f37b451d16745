// HTTP: GET /v1/users/{userId}/recommendations (top-K for the caller's user) and
// GET /v1/models/recommender (the versions this replica serves for the caller's tenant).
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import {
  Controller,
  Get,
  InternalServerErrorException,
  Param,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ErrorResponses, JsonResponse } from '../api-docs';
import { parseInput } from '../request-validation';
import { RecommendationsQuery, RecommendationsView } from './recommendations.dto';
import { RankingFailedError, RecommendationsService, StateLoadingError } from './recommendations.service';
import { RecommenderModelsService, type AliasStatus, type RecsAlias } from './recommender-models.service';

@ApiTags('recommendations')
@Controller('v1')
export class RecommendationsController {
  constructor(
    private readonly recommendations: RecommendationsService,
    private readonly models: RecommenderModelsService,
  ) {}

  @Get('users/:userId/recommendations')
  @RequireScopes('recs:read')
  @ApiOperation({
    summary: 'Recommendations for a user',
    description:
      'Top-K available items for the user (your own user id; it is pseudonymized here), from the ' +
      "tenant's production recommender (or the staging one for users in the A/B share). Purchased " +
      'items are never returned. Users without history get popular and trending items.',
  })
  @ApiParam({ name: 'userId', description: 'your user id (1-100 of letters, digits, . _ : @ -)' })
  @ApiQuery({ name: 'k', required: false, description: '1 to 100 (default 10)' })
  @ApiQuery({ name: 'exclude', required: false, description: 'comma-separated: purchased, seen' })
  @ApiQuery({ name: 'category', required: false, description: 'only items of this category' })
  @JsonResponse(200, 'the items, best first, with the model version and the variant', RecommendationsView)
  @ErrorResponses(
    [400, 'invalid user id or query: each field with its reason'],
    [414, 'user id longer than 100 characters'],
    [500, 'ranking failed'],
    [503, 'the replica is still loading its state after a start (Retry-After: 1)'],
  )
  recommend(
    @CurrentPrincipal() principal: Principal,
    @Param('userId') userId: string,
    @Query() query: Record<string, unknown>,
  ): RecommendationsView {
    const input = parseInput(RecommendationsQuery, { ...query, userId });
    return asHttpErrors(() => this.recommendations.recommend(principal.tenantId, input, 'http'));
  }

  /**
   * What `recommend` answers, as its JSON body (`serialize` turns a view into JSON): the route in
   * recommendations.route.ts serves this, so a cached answer is sent without serializing it again.
   */
  recommendJson(
    principal: Principal,
    userId: string,
    query: Record<string, unknown>,
    serialize: (view: RecommendationsView) => string,
  ): Buffer {
    const input = parseInput(RecommendationsQuery, { ...query, userId });
    return asHttpErrors(() =>
      this.recommendations.recommendJson(principal.tenantId, input, 'http', serialize),
    );
  }

  @Get('models/recommender')
  @RequireScopes('models:read')
  @ApiOperation({
    summary: "The tenant's recommender versions this replica serves",
    description:
      'Per alias (production, staging, shadow): the loaded version, the last refused one, rollbacks.',
  })
  status(@CurrentPrincipal() principal: Principal): Record<RecsAlias, AliasStatus> {
    return this.models.status(principal.tenantId);
  }
}

/** The service's refusals as the HTTP errors the route documents. */
function asHttpErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof RankingFailedError)
      throw new InternalServerErrorException({ statusCode: 500, message: 'ranking failed' });
    if (err instanceof StateLoadingError)
      throw new ServiceUnavailableException({ statusCode: 503, message: err.message });
    throw err;
  }
}
