import { describe, expect, it } from 'vitest';
import { artifactPathProblem, isArtifactPath, resolveArtifactReference } from './artifact-path';

describe('artifactPathProblem', () => {
  it('accepts normalized relative paths', () => {
    for (const p of ['model.json', 'group1-shard1of2.bin', 'assets/vocab.json', 'a/b/c_d-e.1.txt', '.hidden'])
      expect(artifactPathProblem(p), p).toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    ['../x', 'must not contain ".."'],
    ['a/../../x', 'must not contain ".."'],
    ['a/..', 'must not contain ".."'],
    ['/etc/passwd', 'must be relative'],
    ['C:/Windows/x', 'must be relative, not a drive path'],
    ['a\\b.bin', 'not backslashes'],
    ['..\\x', 'not backslashes'],
    ['a//b', 'no empty segments'],
    ['./a', 'no "." segments'],
    ['a/./b', 'no "." segments'],
    ['a/', 'must name a file'],
    ['a\u0000b', 'control characters'],
    ['a b.bin', 'may only contain'],
    ['%2e%2e/x', 'may only contain'],
    ['x'.repeat(256), 'at most 255 characters'],
    [`${'y'.repeat(129)}/a`, 'at most 128 characters'],
    ['1/2/3/4/5/6/7/8/9', 'at most 8 levels'],
  ])('refuses %j: %s', (path, reason) => {
    expect(artifactPathProblem(path)).toContain(reason);
    expect(isArtifactPath(path)).toBe(false);
  });
});

describe('resolveArtifactReference', () => {
  it('resolves references against the folder of the referring file', () => {
    expect(resolveArtifactReference('model.json', 'group1-shard1of1.bin')).toBe('group1-shard1of1.bin');
    expect(resolveArtifactReference('model.json', './weights/w.bin')).toBe('weights/w.bin');
    expect(resolveArtifactReference('tfjs/model.json', 'w.bin')).toBe('tfjs/w.bin');
    expect(resolveArtifactReference('tfjs/model.json', '../shared/w.bin')).toBe('shared/w.bin');
  });

  it('refuses references that leave the artifact folder or are not paths', () => {
    expect(resolveArtifactReference('model.json', '../w.bin')).toBeUndefined();
    expect(resolveArtifactReference('model.json', '/w.bin')).toBeUndefined();
    expect(resolveArtifactReference('model.json', 'https://evil.example/w.bin')).toBeUndefined();
    expect(resolveArtifactReference('model.json', 'a\\w.bin')).toBeUndefined();
    expect(resolveArtifactReference('model.json', 'w b.bin')).toBeUndefined();
  });
});
