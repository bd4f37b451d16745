export { seededRandom, seededShuffle, seededSplit, stratifiedSplit } from './random';
export {
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
