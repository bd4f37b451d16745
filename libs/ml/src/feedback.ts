// Analysts' sentiment corrections joined to a fine-tune's training data: each distinct text once
// (its latest label, as the feature service exports them), repeated `weight` times, and replacing the
// training examples of the same text, whose labels the analyst overruled. Pure logic, no I/O.
import { createHash } from 'node:crypto';
import type { LabeledText } from './datasets';

/** What a version's lineage says about the feedback it was trained with. */
export interface FeedbackLineage {
  /** Distinct corrected texts joined. */
  examples: number;
  /** Times each was repeated in the training part. */
  weight: number;
  /** Training examples of the same text the corrections replaced. */
  replaced: number;
  /** Corrections held out: they extend the held-out part both the version and the champion are scored on. */
  heldOut?: number;
  /** Why none could be read, when the feature service did not answer. */
  unavailable?: string;
}

/** Texts that differ only in case, width or spacing are the same text. */
const sameText = (text: string): string => text.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();

/** The training part with the corrections joined: weighted, and deduplicated against the data by text. */
export function joinFeedback(
  train: LabeledText[],
  feedback: { examples: LabeledText[]; weight: number },
): { train: LabeledText[]; lineage: FeedbackLineage } {
  const weight = Math.max(0, Math.floor(feedback.weight));
  if (weight === 0) return { train, lineage: { examples: 0, weight, replaced: 0 } };
  const corrected = new Map<string, LabeledText>();
  for (const f of feedback.examples) corrected.set(sameText(f.text), f);
  const kept = train.filter((t) => !corrected.has(sameText(t.text)));
  const joined = [...corrected.values()].flatMap((f) => Array.from({ length: weight }, () => f));
  return {
    train: [...kept, ...joined],
    lineage: { examples: corrected.size, weight, replaced: train.length - kept.length },
  };
}

/**
 * Sets aside about `fraction` of the corrections (by a hash of the text, so the same correction is
 * always on the same side, whoever splits) as fresh held-out data: what the stream looks like now,
 * labelled by analysts. A retrain and the champion are both scored on it, beside the data's own.
 */
export function splitFeedback(
  examples: LabeledText[],
  fraction = 0.2,
): { train: LabeledText[]; holdout: LabeledText[] } {
  const train: LabeledText[] = [];
  const holdout: LabeledText[] = [];
  for (const e of examples) {
    const h = createHash('sha256').update(sameText(e.text)).digest().readUInt32BE(0) / 2 ** 32;
    (h < fraction ? holdout : train).push(e);
  }
  return { train, holdout };
}
