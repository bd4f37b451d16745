// The teacher reference a drift or feedback retrain of a student sends again: a single teacher's
// model at production, an ensemble's teachers at the versions the student learned from.
import { describe, expect, it } from 'vitest';
import { retrainTeachers } from './drift-retrain.service';

describe('retrainTeachers', () => {
  it("names a single teacher's production alias and an ensemble's exact versions", () => {
    expect(retrainTeachers([{ model: 'sentiment-teacher', version: 3 }])).toBe(
      'sentiment-teacher@production',
    );
    expect(
      retrainTeachers([
        { model: 'sentiment-teacher', version: 3 },
        { model: 'sentiment-teacher', version: 4 },
        { model: 'other-teacher', version: 1 },
      ]),
    ).toBe('sentiment-teacher@3,sentiment-teacher@4,other-teacher@1');
    expect(retrainTeachers([])).toBe('');
  });
});
