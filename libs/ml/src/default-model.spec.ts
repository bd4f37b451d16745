// The default sentiment model shipped in libs/ml/assets/sentiment-default (what `npm start` serves):
// it loads as an artifact, scores the shipped TFNS validation set as its README says, reads formal
// financial news sentences the template-trained model got wrong, and says where it came from.
import { describe, expect, it } from 'vitest';
import { readArtifact, readManifest } from './artifact';
import { selectBackend } from './backend';
import { parseLabelMap, readLabeledText } from './datasets';
import { loadSentimentClassifier } from './sentiment-job';
import { join } from 'node:path';

const ASSETS = join(__dirname, '../assets');

describe('the shipped default sentiment model', () => {
  it('scores TFNS sent_valid as its manifest says and reads formal news sentences', async () => {
    const { tf } = await selectBackend();
    const artifact = await readArtifact(join(ASSETS, 'sentiment-default'));
    const manifest = readManifest(artifact);
    expect(manifest.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(manifest.extra).toMatchObject({
      architecture: 'student',
      lineage: { teachers: [{ architecture: 'transformer' }] },
    });
    const model = await loadSentimentClassifier(tf, artifact);
    try {
      const test = readLabeledText(
        join(ASSETS, 'tfns/sent_valid.csv'),
        parseLabelMap('0=negative,1=positive,2=neutral'),
      );
      expect(test).toHaveLength(manifest.metrics.test_examples);
      const report = model.evaluate(test);
      expect(report.accuracy).toBeCloseTo(manifest.metrics.accuracy, 3);
      expect(report.macroF1).toBeCloseTo(manifest.metrics.macro_f1, 3);
      // The calibration the monitor reads is the one this evaluation measures.
      expect(Object.keys(report.calibration ?? {})).toHaveLength(30);
      for (const [name, share] of Object.entries(report.calibration ?? {}))
        expect(manifest.metrics[name], name).toBeCloseTo(share, 3);
      const labels = model
        .predict([
          'Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007.',
          'The company is located in Helsinki.',
          'Pretax loss totalled EUR 1.2 mn, compared to a profit of EUR 2.3 mn a year earlier.',
        ])
        .map((p) => manifest.labels?.[p.label]);
      expect(labels).toEqual(['positive', 'neutral', 'negative']);
    } finally {
      model.dispose();
    }
  });
});
