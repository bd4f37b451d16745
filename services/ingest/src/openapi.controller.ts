// The OpenAPI document of the ingest API at /v1/openapi.json.
import { openApiController } from '@mercato/runtime';

export const OpenApiController = openApiController({
  title: 'Mercato ingest',
  description:
    'Batches of news articles, user interactions and catalog items into the raw Kafka topics. ' +
    'Bodies are JSON in UTF-8 (application/json), at most INGEST_MAX_REQUEST_BYTES (5 MiB by ' +
    'default). Each record is validated on its own and answered accepted, duplicate or rejected ' +
    '(with every problem by field); accepted records are published, with acknowledgement from ' +
    'all in-sync replicas, before the 202 answer. A 503 means nothing of the batch was accepted: ' +
    'send it again.',
});
