import { describe, expect, it } from 'vitest';
import { joinFeedback, splitFeedback } from './feedback';

const train = [
  { text: 'Acme beats estimates', label: 2 },
  { text: 'Beta misses', label: 0 },
  { text: 'Gamma holds', label: 1 },
];

describe('joinFeedback', () => {
  it('repeats each corrected text weight times and drops the examples whose label it overrules', () => {
    const { train: joined, lineage } = joinFeedback(train, {
      examples: [
        { text: 'ACME  beats estimates', label: 0 },
        { text: 'Delta files for bankruptcy', label: 0 },
      ],
      weight: 3,
    });
    expect(lineage).toEqual({ examples: 2, weight: 3, replaced: 1 });
    expect(joined).toHaveLength(2 + 2 * 3);
    expect(joined.filter((t) => t.text.toLowerCase().startsWith('acme'))).toEqual(
      Array(3).fill({ text: 'ACME  beats estimates', label: 0 }),
    );
    expect(joined).toContainEqual({ text: 'Beta misses', label: 0 });
  });

  it('keeps one example per text (the last given) and leaves the data alone with weight 0', () => {
    const twice = joinFeedback([], {
      examples: [
        { text: 'Same story', label: 2 },
        { text: 'same story', label: 1 },
      ],
      weight: 2,
    });
    expect(twice.train).toEqual([
      { text: 'same story', label: 1 },
      { text: 'same story', label: 1 },
    ]);
    const off = joinFeedback(train, { examples: [{ text: 'Beta misses', label: 2 }], weight: 0 });
    expect(off).toEqual({ train, lineage: { examples: 0, weight: 0, replaced: 0 } });
  });
});

describe('splitFeedback', () => {
  it('sets aside about a fifth, by text, the same way every time', () => {
    const examples = Array.from({ length: 1000 }, (_, i) => ({ text: `story ${i}`, label: i % 3 }));
    const { train, holdout } = splitFeedback(examples);
    expect(train.length + holdout.length).toBe(1000);
    expect(holdout.length).toBeGreaterThan(150);
    expect(holdout.length).toBeLessThan(250);
    expect(splitFeedback([{ text: 'STORY  7', label: 0 }]).holdout.length).toBe(
      holdout.some((h) => h.text === 'story 7') ? 1 : 0,
    );
  });
});
