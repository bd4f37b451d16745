export {
  REPO_ROOT,
  LOCAL_KAFKA,
  EMBEDDED_PG_PORT,
  portOpen,
  ensureLocalKafka,
  ensureLocalPostgres,
  type KafkaHandle,
  type PostgresHandle,
} from './infra';
export {
  requireEnv,
  uniqueSuffix,
  createTestDatabase,
  testLogger,
  testKafka,
  testTopic,
  createTestTopics,
  eventually,
  startGroupAtEnd,
  type TestDatabase,
} from './fixtures';
export {
  seededRandom,
  generateNews,
  generateRetail,
  COMPANIES,
  type Sentiment,
  type GeneratedArticle,
  type NewsOptions,
  type GeneratedItem,
  type GeneratedInteraction,
  type CatalogOptions,
} from './generators';
export { spawnService, startService, type ServiceProcess } from './services';
export {
  startNewsStack,
  freePort,
  getJson,
  type NewsStack,
  type NewsStackOptions,
  type NewsServiceName,
} from './news-stack';
export {
  runNewsFault,
  judge as judgeNewsFault,
  type NewsFaultOptions,
  type NewsFaultReport,
  type KillPlan,
  type KillRecord,
  type FaultService,
  type WindowMismatch,
  type PersistedAlert,
} from './news-fault';
export { testKeys, bearer, type TestKeys } from './auth';
export { metricValue } from './metrics';
