export {
  selectBackend,
  backendOrder,
  gpuPresent,
  parsePreference,
  type TF,
  type BackendName,
  type BackendPreference,
  type SelectedBackend,
} from './backend';
export { Tokenizer, tokenize, type TokenizerConfig, type TokenizerJSON } from './tokenizer';
export {
  SENTIMENT_LABELS,
  parseLabelMap,
  readLabeledText,
  readTextLabelCsv,
  readPhraseBank,
  readJsonl,
  readMovieLensRatings,
  readMovieLensItems,
  fileHash,
  type LabeledText,
  type Rating,
  type ItemInfo,
  type SentimentLabelName,
} from './datasets';
export {
  classificationReport,
  rmse,
  mae,
  hitAtK,
  ndcgAtK,
  recallAtK,
  coverage,
  mean,
  type ClassificationReport,
} from './metrics';
export { seededRandom, seededShuffle, seededSplit } from './random';
export {
  packModel,
  unpackModel,
  readManifest,
  writeArtifact,
  readArtifact,
  safeArtifactPath,
  sha256,
  MANIFEST_FILE,
  MODEL_FILE,
  type ModelArtifact,
  type ModelManifest,
  type ArtifactFile,
  type ModelKindName,
} from './artifact';
export {
  SentimentModel,
  DEFAULT_SENTIMENT_HP,
  type SentimentHyperparameters,
  type EpochProgress,
  type SentimentPrediction,
  type TokenWeight,
} from './sentiment';
export {
  PretrainedEmbeddings,
  DEFAULT_PRETRAIN_HP,
  skipGramPairs,
  type PretrainHyperparameters,
} from './pretrain';
export { BagOfWordsBaseline } from './baseline';
export {
  runSentimentJob,
  evaluateSentimentArtifact,
  CODE_VERSION,
  type SentimentJobSpec,
  type JobProgress,
  type JobResult,
} from './jobs';
export {
  RegistryClient,
  RegistryError,
  IntegrityError,
  type RegistryVersion,
  type RegistryFile,
  type Promotion,
  type ModelKind,
  type Alias,
} from './registry-client';
export {
  RecommenderModel,
  DEFAULT_RECOMMENDER_HP,
  recommenderHyperparameters,
  itemTokens,
  type Interaction,
  type RecommenderItem,
  type ItemFeatures,
  type RecommenderData,
  type RecommenderHyperparameters,
  type RecommenderObjective,
  type RecommenderEpoch,
  type TopKOptions,
  type ScoredItem,
  type RecommenderEmbeddings,
  type RecommenderExtra,
} from './recommender';
export {
  randomSplit,
  leaveLastOut,
  rankingCases,
  evaluateRanking,
  evaluateRatings,
  globalMeanBaseline,
  popularity,
  popularityRanking,
  popularityTopK,
  itemsByUser,
  catalogueCoverage,
  type RankingCase,
  type RankingReport,
  type RatingReport,
} from './recommender-eval';
