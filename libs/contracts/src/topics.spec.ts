import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { NewsArticleSchema } from './gen/mercato/news/v1/news_pb';
import { COMPACTION_CONFIG, Topics, topicByName, topicDefinitions } from './topics';

describe('topic catalogue', () => {
  it('holds every topic of the architecture with its key and message type', () => {
    const names = Object.values(Topics).map((t) => `${t.name} ${t.schema.typeName}`);
    expect(names).toEqual([
      'news.raw.v1 mercato.news.v1.NewsArticle',
      'news.enriched.v1 mercato.news.v1.EnrichedArticle',
      'news.scored.v1 mercato.news.v1.ScoredArticle',
      'sentiment.alerts.v1 mercato.sentiment.v1.SentimentAlert',
      'interactions.raw.v1 mercato.recs.v1.Interaction',
      'catalog.items.v1 mercato.recs.v1.CatalogItem',
      'features.user.v1 mercato.recs.v1.UserFeatures',
      'training.requests.v1 mercato.models.v1.TrainingRequest',
      'models.lifecycle.v1 mercato.models.v1.ModelEvent',
      'models.monitoring.v1 mercato.models.v1.ModelMonitoring',
    ]);
  });

  it('compacts the keyed state topics and keeps them forever', () => {
    expect(Topics.catalogItems).toMatchObject({ cleanupPolicy: 'compact', retentionMs: -1 });
    expect(Topics.userFeatures).toMatchObject({ cleanupPolicy: 'compact', retentionMs: -1 });
    expect(Topics.newsRaw.cleanupPolicy).toBe('delete');
  });

  it('gives the compacted topics, and only them, the compaction settings', () => {
    const config = (name: string) => topicDefinitions().find((d) => d.name === name)?.config;
    for (const spec of Object.values(Topics)) {
      if (spec.cleanupPolicy === 'compact') expect(config(spec.name)).toMatchObject(COMPACTION_CONFIG);
      else expect(config(spec.name)).not.toHaveProperty('segment.ms');
    }
    expect(COMPACTION_CONFIG).toEqual({
      'segment.ms': '3600000',
      'min.cleanable.dirty.ratio': '0.1',
      'delete.retention.ms': '86400000',
      'min.compaction.lag.ms': '3600000',
    });
  });

  it('defines a dead-letter topic for every topic', () => {
    const defs = topicDefinitions();
    for (const spec of Object.values(Topics)) {
      expect(defs.find((d) => d.name === `${spec.name}.dlq`)).toBeDefined();
      expect(defs.find((d) => d.name === spec.name)?.config['cleanup.policy']).toBe(spec.cleanupPolicy);
    }
    expect(defs).toHaveLength(Object.keys(Topics).length * 2);
  });

  it('finds a spec by name and round-trips its message', () => {
    const spec = topicByName('news.raw.v1');
    expect(spec?.schema).toBe(NewsArticleSchema);
    const bytes = toBinary(
      NewsArticleSchema,
      create(NewsArticleSchema, { articleId: 'a1', tickers: ['TSLA'] }),
    );
    expect(fromBinary(NewsArticleSchema, bytes)).toMatchObject({ articleId: 'a1', tickers: ['TSLA'] });
    expect(topicByName('nope')).toBeUndefined();
  });
});
