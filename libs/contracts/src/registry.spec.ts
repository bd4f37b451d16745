import { describe, expect, it } from 'vitest';
import {
  formatModelRef,
  isModelName,
  lineageTeachers,
  ModelRefError,
  parseModelRef,
  parseModelRefs,
} from './registry';

describe('model references', () => {
  it('reads name, name@alias and name@version', () => {
    expect(parseModelRef('sentiment')).toEqual({ name: 'sentiment' });
    expect(parseModelRef('sentiment@production')).toEqual({ name: 'sentiment', alias: 'production' });
    expect(parseModelRef('recommender-acme@5')).toEqual({ name: 'recommender-acme', version: 5 });
    expect(parseModelRef('sentiment@v12')).toEqual({ name: 'sentiment', version: 12 });
    for (const ref of ['sentiment', 'sentiment@staging', 'sentiment@5'])
      expect(formatModelRef(parseModelRef(ref))).toBe(ref);
  });

  it('names what is wrong with a bad reference', () => {
    for (const [ref, reason] of [
      ['Sentiment@5', /the name must be 1-63 characters/],
      ['sentiment@', /not ""/],
      ['sentiment@canary', /alias \(production, staging, shadow\) or a version number, not "canary"/],
      ['sentiment@0', /not "0"/],
      ['sentiment@1.5', /not "1.5"/],
      ['sentiment@99999999999', /not "99999999999"/],
      ['@5', /the name/],
    ] as const) {
      expect(() => parseModelRef(ref), ref).toThrow(ModelRefError);
      expect(() => parseModelRef(ref), ref).toThrow(reason);
    }
  });

  it('shares the name rule with the registry', () => {
    expect(isModelName('recommender-acme.v2_a')).toBe(true);
    expect(isModelName('-x')).toBe(false);
    expect(isModelName('a'.repeat(64))).toBe(false);
  });
});

describe('lineage teachers', () => {
  it('reads an ensemble’s teachers, and the one teacher of versions distilled before ensembles', () => {
    const ensemble = [
      { model: 'teacher', version: 3 },
      { model: 'teacher', version: 4 },
    ];
    expect(lineageTeachers({ teachers: ensemble })).toEqual(ensemble);
    expect(lineageTeachers({ teacher: { model: 'teacher', version: 2 } })).toEqual([
      { model: 'teacher', version: 2 },
    ]);
    expect(lineageTeachers({ parent: { model: 'x', version: 1 } })).toEqual([]);
    expect(lineageTeachers({ teachers: [{ model: 'teacher' }, 'x', null] })).toEqual([]);
  });
});

describe('model reference lists', () => {
  it('parses comma-separated references and refuses the list when one is bad', () => {
    expect(parseModelRefs('teacher@production, teacher@v3,other')).toEqual([
      { name: 'teacher', alias: 'production' },
      { name: 'teacher', version: 3 },
      { name: 'other' },
    ]);
    expect(() => parseModelRefs('teacher@3,Bad Name')).toThrow(ModelRefError);
  });
});
