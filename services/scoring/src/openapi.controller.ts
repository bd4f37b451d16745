// The OpenAPI document of the scoring service's HTTP API at /v1/openapi.json.
import { openApiController } from '@mercato/runtime';

export const OpenApiController = openApiController({
  title: 'Mercato scoring',
  description:
    'Synchronous sentiment scoring with the production model (the same model that scores ' +
    'news.enriched.v1 into news.scored.v1), with the tokens that drove each decision; and real-time ' +
    'recommendations from the tenant’s recommender (also over gRPC: mercato.scoring.v1.RecommendationService).',
});
