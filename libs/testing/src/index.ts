export { testLogger, testTopic, createTestTopics, followTopic } from './fixtures';
export { testKeys, bearer, type TestKeys } from './auth';
export { metricValue } from './metrics';
export { lineage, tfjsArtifact, type ArtifactFiles } from './model-artifact';
export { chromiumAvailable, launchChromium, CHROMIUM, type Browser, type Page } from './chromium';
export { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver';
