import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RegisterVersionBody, isCanonicalBase64 } from './register-version.dto';

describe('isCanonicalBase64', () => {
  it('accepts padded standard base64 of any size (a 30 MB shard does not overflow the regexp stack)', () => {
    expect(isCanonicalBase64('')).toBe(true);
    expect(isCanonicalBase64('AAAA')).toBe(true);
    expect(isCanonicalBase64('YQ==')).toBe(true);
    expect(isCanonicalBase64(randomBytes(30_000_000).toString('base64'))).toBe(true);
  });

  it('refuses anything else', () => {
    for (const bad of ['YQ', 'Y Q==', 'not base64!', 'YR==', 'A-_A', 'AAAA\n', '===='])
      expect(isCanonicalBase64(bad), bad).toBe(false);
  });
});

describe('RegisterVersionBody', () => {
  const base = {
    lineage: { datasetHash: 'h', codeVersion: 'c', backend: 'cpu', tokenizerVersion: '3' },
    idempotencyKey: 'req-1',
    files: [{ path: 'model.json', contentBase64: 'e30=' }],
  };

  it('keeps extra lineage fields and fills defaults', () => {
    const parsed = RegisterVersionBody.parse(base);
    expect(parsed.metrics).toEqual({});
    expect(parsed.lineage).toEqual({ ...base.lineage, hyperparameters: {} });
  });

  it('names the field of each problem', () => {
    const result = RegisterVersionBody.safeParse({
      ...base,
      metrics: { f1: Number.NaN },
      files: [{ path: '../x', contentBase64: '!!' }],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['metrics.f1', 'metric values must be finite numbers'],
      ['files.0.path', 'must not contain ".." (it would escape the artifact folder)'],
      ['files.0.contentBase64', 'must be standard base64 (A-Z a-z 0-9 + /, padded with =)'],
    ]);
  });

  it('takes an optional Ed25519 signature and names what is wrong with a malformed one', () => {
    const signature = {
      algorithm: 'ed25519',
      keyId: 'mercato-2026-01',
      value: randomBytes(64).toString('base64'),
    };
    expect(RegisterVersionBody.parse({ ...base, signature }).signature).toEqual(signature);
    const result = RegisterVersionBody.safeParse({
      ...base,
      signature: { algorithm: 'rsa', keyId: '../k', value: randomBytes(32).toString('base64') },
    });
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['signature.algorithm', 'must be "ed25519"'],
      ['signature.keyId', 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'],
      ['signature.value', 'must be the 64-byte signature in standard base64'],
    ]);
  });
});
