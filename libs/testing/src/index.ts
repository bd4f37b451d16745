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
