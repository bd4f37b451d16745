// The `derived-by` header on every record the feature service publishes: the consumer group that
// derived it. Several feature deployments may read the same raw topics (a second copy beside a
// stack, a test run) and publish for the same keys; the header tells an operator or a test whose
// record it is.
import type { FeatureConfig } from './feature.config';

export const DERIVED_BY_HEADER = 'derived-by';

export const derivedByHeaders = (
  config: Pick<FeatureConfig, 'KAFKA_CONSUMER_GROUP'>,
): Record<string, string> => ({
  [DERIVED_BY_HEADER]: config.KAFKA_CONSUMER_GROUP ?? 'mercato-feature',
});
