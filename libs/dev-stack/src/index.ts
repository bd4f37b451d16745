export {
  REPO_ROOT,
  LOCAL_KAFKA,
  EMBEDDED_PG_PORT,
  portOpen,
  ensureLocalKafka,
  ensureLocalPostgres,
  withLocalInfra,
  type KafkaHandle,
  type PostgresHandle,
} from './infra';
export {
  requireEnv,
  uniqueSuffix,
  createTestDatabase,
  testKafka,
  eventually,
  startGroupAtEnd,
  type TestDatabase,
} from './scratch';
export {
  spawnService,
  startService,
  waitReady,
  stopServices,
  freePort,
  getJson,
  type ServiceProcess,
  type SpawnOptions,
} from './services';
export { startNewsStack, type NewsStack, type NewsStackOptions, type NewsServiceName } from './news-stack';
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
export { DEFAULT_SENTIMENT_MODEL_DIR, registerShippedModel } from './shipped-model';
