// The `synthetic:news?seed&count` dataset: generated headlines with their labels, a training part and
// a held-out part from another seed. The worker trains on it; the service scores the production
// version on the very same held-out part.
import { SENTIMENT_LABELS, type LabeledText } from '@mercato/ml';
import { generateNews } from '@mercato/synthetic';

const labeled = (seed: number, count: number): LabeledText[] =>
  generateNews({ seed, count, start: new Date('2026-01-01T00:00:00Z'), spacingMs: 60_000 }).map((a) => ({
    text: a.headline,
    label: SENTIMENT_LABELS.indexOf(a.sentiment),
  }));

export function syntheticNews(seed: number, count: number): { train: LabeledText[]; test: LabeledText[] } {
  return { train: labeled(seed, count), test: syntheticNewsTest(seed, count) };
}

export const syntheticNewsTest = (seed: number, count: number): LabeledText[] =>
  labeled(seed + 1_000_003, Math.max(50, Math.round(count / 5)));
