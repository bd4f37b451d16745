// Signed model versions: training signs each artifact bundle with an Ed25519 key (node:crypto), the
// registry stores the signature with the version, and scoring and the CLI verify it against the
// public keys they trust before loading. What is signed is the model's name and every file's path
// and SHA-256: whoever can write to the registry's database can swap a file and its checksum
// together, but cannot sign the swapped set without the private key.
import { ConfigError, z } from '@mercato/config';
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ModelSignature {
  algorithm: 'ed25519';
  /** Which key signed: the name its public key is trusted under (`<keyId>.pem`). */
  keyId: string;
  /** The 64-byte Ed25519 signature, base64. */
  value: string;
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A private key and the id its public key is trusted under. */
export interface ModelSigner {
  keyId: string;
  key: KeyObject;
}

/** Public keys by key id. */
export type TrustedKeys = ReadonlyMap<string, KeyObject>;

const VERSION_LINE = 'mercato-model-signature/v1';

/** The signed bytes: a version line, the model name and `<sha256>  <path>` per file, sorted by path. */
export function signedStatement(model: string, files: readonly { path: string; sha256: string }[]): Buffer {
  const lines = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.path}`);
  return Buffer.from([VERSION_LINE, `model ${model}`, ...lines, ''].join('\n'), 'utf8');
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Signs a bundle of files (as registered under `model`). */
export function signArtifact(
  signer: ModelSigner,
  model: string,
  files: readonly { path: string; bytes: Uint8Array }[],
): ModelSignature {
  const statement = signedStatement(
    model,
    files.map((f) => ({ path: f.path, sha256: sha256(f.bytes) })),
  );
  return {
    algorithm: 'ed25519',
    keyId: signer.keyId,
    value: sign(null, statement, signer.key).toString('base64'),
  };
}

/**
 * Why a version's signature is not acceptable under the trusted keys (undefined: it verifies). The
 * files' checksums must already have been checked against their bytes.
 */
export function signatureProblem(
  trusted: TrustedKeys,
  model: string,
  version: number,
  files: readonly { path: string; sha256: string }[],
  signature: ModelSignature | null | undefined,
): string | undefined {
  const which = `${model} v${version}`;
  if (!signature) return `${which} is unsigned; only versions signed with a trusted key are loaded`;
  if (signature.algorithm !== 'ed25519')
    return `${which} is signed with ${JSON.stringify(signature.algorithm)} (key ${signature.keyId}); only ed25519 is accepted`;
  const key = trusted.get(signature.keyId);
  if (!key)
    return `${which} is signed with key ${signature.keyId}, which is not trusted (trusted: ${[...trusted.keys()].join(', ')})`;
  const ok = verify(null, signedStatement(model, files), key, Buffer.from(signature.value, 'base64'));
  return ok
    ? undefined
    : `${which}: the signature by key ${signature.keyId} does not match the version's files`;
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`${what} is a ${key.asymmetricKeyType ?? key.type} key, not Ed25519`);
  return key;
}

/** The signer for a PEM private key. */
export function loadSigner(keyId: string, pem: string): ModelSigner {
  if (!KEY_ID_PATTERN.test(keyId)) throw new Error(`key id "${keyId}" must match ${KEY_ID_PATTERN.source}`);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`not a PEM private key (${(err as Error).message})`);
  }
  return { keyId, key: requireEd25519(key, 'the signing key') };
}

/**
 * The public keys of a directory: each `<keyId>.pem` (a mounted Secret or ConfigMap: entries
 * starting with `.` are the volume's own). Rotation adds the new key's file before training signs
 * with it and removes the old one once no served version is signed with it.
 */
export function loadTrustedKeys(dir: string): TrustedKeys {
  const keys = new Map<string, KeyObject>();
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || !name.endsWith('.pem')) continue;
    const keyId = name.slice(0, -'.pem'.length);
    if (!KEY_ID_PATTERN.test(keyId))
      throw new Error(`${name}: the key id must match ${KEY_ID_PATTERN.source}`);
    let key: KeyObject;
    try {
      key = createPublicKey(readFileSync(join(dir, name), 'utf8'));
    } catch (err) {
      throw new Error(`${name}: not a PEM public key (${(err as Error).message})`);
    }
    keys.set(keyId, requireEd25519(key, name));
  }
  if (keys.size === 0) throw new Error(`${dir} holds no <key id>.pem public key`);
  return keys;
}

/**
 * Training's variables: the private key (PEM; MODEL_SIGNING_KEY_FILE for a mounted Secret) and the id
 * its public key is trusted under. Both or neither: without them versions are registered unsigned.
 */
export const modelSigningEnv = {
  MODEL_SIGNING_KEY: z.string().min(1).optional(),
  MODEL_SIGNING_KEY_ID: z.string().regex(KEY_ID_PATTERN, `must match ${KEY_ID_PATTERN.source}`).optional(),
};

/** The signer the signing variables configure (undefined without them); a ConfigError names what is wrong. */
export function signerFromConfig(config: {
  MODEL_SIGNING_KEY?: string;
  MODEL_SIGNING_KEY_ID?: string;
}): ModelSigner | undefined {
  const { MODEL_SIGNING_KEY: pem, MODEL_SIGNING_KEY_ID: keyId } = config;
  if (!pem && !keyId) return undefined;
  if (!pem || !keyId)
    throw new ConfigError([
      `${pem ? 'MODEL_SIGNING_KEY_ID' : 'MODEL_SIGNING_KEY'}: is not set (MODEL_SIGNING_KEY, or _FILE, and MODEL_SIGNING_KEY_ID go together)`,
    ]);
  try {
    return loadSigner(keyId, pem);
  } catch (err) {
    throw new ConfigError([`MODEL_SIGNING_KEY: ${(err as Error).message}`]);
  }
}

/**
 * Scoring's and the CLI's variable: a directory of trusted public keys. When set, a version that is
 * unsigned or not signed by one of them is refused; unset, signatures are not checked.
 */
export const modelVerifyEnv = {
  MODEL_VERIFY_KEYS_DIR: z
    .string()
    .min(1)
    .optional()
    .transform((dir, ctx): TrustedKeys | undefined => {
      if (dir === undefined) return undefined;
      try {
        return loadTrustedKeys(dir);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
};
