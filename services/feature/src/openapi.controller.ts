// The OpenAPI document of the feature service's HTTP API at /v1/openapi.json.
import { openApiController } from '@mercato/runtime';

export const OpenApiController = openApiController({
  title: 'Mercato feature',
  description:
    'The feature store: enriched articles, per-user online features, decayed item popularity and ' +
    'trending, point-in-time dataset exports (NDJSON, with a time split) for training, and user ' +
    'deletion. Every error body is { statusCode, error, message, errors: [{ field, reason }] }.',
});
