// The OpenAPI document of the training service's HTTP API at /v1/openapi.json.
import { openApiController } from '@mercato/runtime';

export const OpenApiController = openApiController({
  title: 'Mercato training',
  description:
    'Training jobs (sentiment and recommender): submit one (it goes through training.requests.v1 and ' +
    'runs one at a time per replica), list and follow them with per-epoch progress; experiment runs (every ' +
    'training run with its parameters, metric series and outcome) and the import of offline runs. Every error body is ' +
    '{ statusCode, error, message, errors: [{ field, reason }] }.',
});
