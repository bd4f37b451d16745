import fastJson from 'fast-json-stringify';
import { describe, expect, it } from 'vitest';
import { RecommendationsView } from './recommendations.dto';
import { responseSchema } from './recommendations.controller';

describe('the recommendations response schema', () => {
  const serialize = fastJson(responseSchema());

  it('serializes an answer exactly as JSON.stringify does', () => {
    const answers: RecommendationsView[] = [
      {
        items: [
          { itemId: 'sku-1', score: 0.123456789, reason: 'personalized' },
          { itemId: 'a "quoted" \u00e9 id', score: -2.5e-7, reason: 'popular' },
          { itemId: 'sku-3', score: 3, reason: 'similar_to_recent' },
        ],
        modelName: 'recommender-acme',
        modelVersion: 7,
        variant: 'staging',
      },
      { items: [], modelName: 'recommender-acme', modelVersion: null, variant: 'production' },
    ];
    for (const answer of answers) {
      const text = serialize(answer);
      expect(text).toBe(JSON.stringify(answer));
      expect(RecommendationsView.parse(JSON.parse(text))).toEqual(answer);
    }
  });
});
