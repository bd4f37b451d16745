export { seededRandom, seededShuffle, seededSplit, stratifiedSplit } from './random';
export {
  generateNews,
  generateRetail,
  retailTrainingData,
  COMPANIES,
  type Sentiment,
  type GeneratedArticle,
  type NewsOptions,
  type GeneratedItem,
  type GeneratedInteraction,
  type CatalogOptions,
} from './generators';
export {
  generateLabeledMarket,
  STUDENT_CONFUSION,
  MARKET_LABELS,
  type LabeledMarket,
  type LabeledMarketOptions,
  type MarketArticle,
  type MarketLabel,
  type MarketTicker,
  type InjectedSurge,
} from './labeled-market';
