import { ConfigError } from '@mercato/config';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadSigner,
  loadTrustedKeys,
  signArtifact,
  signatureProblem,
  signedStatement,
  signerFromConfig,
} from './model-signature';

const pems = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
};
const k1 = pems();
const k2 = pems();
const dir = mkdtempSync(join(tmpdir(), 'model-signature-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = [
  { path: 'model.json', bytes: Buffer.from('{"format":"layers-model"}') },
  { path: 'weights.bin', bytes: Buffer.from([1, 2, 3, 4]) },
];
const digests = files.map((f) => ({
  path: f.path,
  sha256: createHash('sha256').update(f.bytes).digest('hex'),
}));

function trustedDir(name: string, entries: Record<string, string>): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (const [file, content] of Object.entries(entries)) writeFileSync(join(d, file), content);
  return d;
}

describe('model signatures', () => {
  const signer = loadSigner('k1', k1.privatePem);
  const trusted = loadTrustedKeys(
    trustedDir('trusted', { 'k1.pem': k1.publicPem, 'k2.pem': k2.publicPem, '..data': '', README: 'x' }),
  );

  it('signs the model name and the sorted paths and checksums', () => {
    expect(signedStatement('sentiment', [...digests].reverse()).toString()).toBe(
      `mercato-model-signature/v1\nmodel sentiment\n${digests[0]?.sha256}  model.json\n${digests[1]?.sha256}  weights.bin\n`,
    );
    const signature = signArtifact(signer, 'sentiment', files);
    expect(signature).toMatchObject({ algorithm: 'ed25519', keyId: 'k1' });
    expect(Buffer.from(signature.value, 'base64')).toHaveLength(64);
    expect(signatureProblem(trusted, 'sentiment', 3, digests, signature)).toBeUndefined();
  });

  it('refuses an unsigned version, an untrusted key, other files and another model name', () => {
    const signature = signArtifact(signer, 'sentiment', files);
    expect(signatureProblem(trusted, 'sentiment', 3, digests, null)).toBe(
      'sentiment v3 is unsigned; only versions signed with a trusted key are loaded',
    );
    const stranger = signArtifact(loadSigner('k9', pems().privatePem), 'sentiment', files);
    expect(signatureProblem(trusted, 'sentiment', 3, digests, stranger)).toBe(
      'sentiment v3 is signed with key k9, which is not trusted (trusted: k1, k2)',
    );
    const swapped = [digests[0]!, { path: 'weights.bin', sha256: 'f'.repeat(64) }];
    expect(signatureProblem(trusted, 'sentiment', 3, swapped, signature)).toBe(
      "sentiment v3: the signature by key k1 does not match the version's files",
    );
    expect(signatureProblem(trusted, 'other', 1, digests, signature)).toBe(
      "other v1: the signature by key k1 does not match the version's files",
    );
    // Claiming another trusted key's id does not help.
    expect(signatureProblem(trusted, 'sentiment', 3, digests, { ...signature, keyId: 'k2' })).toMatch(
      /signature by key k2 does not match/,
    );
  });

  it('loads only Ed25519 keys, naming the file or variable that is wrong', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() =>
      loadTrustedKeys(
        trustedDir('rsa', { 'old.pem': rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString() }),
      ),
    ).toThrow('old.pem is a rsa key, not Ed25519');
    expect(() => loadTrustedKeys(trustedDir('broken', { 'k.pem': 'not a key' }))).toThrow(
      /^k\.pem: not a PEM/,
    );
    expect(() => loadTrustedKeys(trustedDir('empty', {}))).toThrow('holds no <key id>.pem public key');
    expect(() => loadSigner('k1', k1.publicPem)).toThrow(/not a PEM private key/);
    expect(() => loadSigner('bad id', k1.privatePem)).toThrow('key id "bad id" must match');

    expect(signerFromConfig({})).toBeUndefined();
    expect(signerFromConfig({ MODEL_SIGNING_KEY: k1.privatePem, MODEL_SIGNING_KEY_ID: 'k1' })?.keyId).toBe(
      'k1',
    );
    expect(() => signerFromConfig({ MODEL_SIGNING_KEY: k1.privatePem })).toThrow(ConfigError);
    expect(() => signerFromConfig({ MODEL_SIGNING_KEY: k1.privatePem })).toThrow(
      'MODEL_SIGNING_KEY_ID: is not set',
    );
    expect(() =>
      signerFromConfig({
        MODEL_SIGNING_KEY: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        MODEL_SIGNING_KEY_ID: 'k1',
      }),
    ).toThrow('MODEL_SIGNING_KEY: the signing key is a rsa key, not Ed25519');
  });
});
