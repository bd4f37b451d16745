export * from './topics';
export * from './headers';
export * from './gen/mercato/platform/v1/dead_letter_pb';
export * from './gen/mercato/news/v1/news_pb';
export * from './gen/mercato/sentiment/v1/alerts_pb';
export * from './gen/mercato/recs/v1/recs_pb';
export * from './gen/mercato/models/v1/models_pb';
export * from './gen/mercato/scoring/v1/scoring_pb';
