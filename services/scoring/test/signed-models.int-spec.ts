// Signed model versions, end to end on the real registry, broker and scoring processes: scoring with
// trusted keys (MODEL_VERIFY_KEYS_DIR) serves a version signed by one of them, refuses one that is
// unsigned, signed by an untrusted key, or whose files and checksums were swapped in the registry's
// database after signing (each refusal naming the version and the key) while the serving version
// stays, and serves a version signed by a second trusted key (rotation).
import { Topics } from '@mercato/contracts';
import {
  createTestDatabase,
  eventually,
  freePort as freeTcpPort,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
} from '@mercato/dev-stack';
import { SENTIMENT_LABELS, runSentimentJob, type ArtifactFile, type LabeledText } from '@mercato/ml';
import {
  RegistryClient,
  SignatureError,
  loadSigner,
  loadTrustedKeys,
  signArtifact,
  type ModelSigner,
} from '@mercato/registry-client';
import { generateNews } from '@mercato/synthetic';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const suffix = uniqueSuffix();
const MODEL = `signed-it-${suffix}`;
const PLATFORM = 'platform';
const keysDir = mkdtempSync(join(tmpdir(), 'model-keys-'));

let db: TestDatabase;
let registry: ServiceProcess;
let scoring: ServiceProcess;
let client: RegistryClient;
let files: ArtifactFile[];
let metrics: Record<string, number>;

/** A fresh Ed25519 key pair; its public key is trusted when `trust` is set. */
function keyPair(keyId: string, trust: boolean): ModelSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  if (trust) writeFileSync(join(keysDir, `${keyId}.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
  return loadSigner(keyId, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}
const current = keyPair('mercato-2026-01', true);
const next = keyPair('mercato-2026-07', true);
const stranger = keyPair('someone-else', false);

const toLabeled = (seed: number, count: number): LabeledText[] =>
  generateNews({ seed, count, start: new Date('2026-01-01T00:00:00Z'), spacingMs: 60_000 }).map((a) => ({
    text: a.headline,
    label: SENTIMENT_LABELS.indexOf(a.sentiment),
  }));

async function register(key: string, signer?: ModelSigner): Promise<number> {
  const registered = await client.register(MODEL, {
    metrics,
    lineage: { datasetHash: 'synthetic', codeVersion: 'test', backend: 'tensorflow' },
    idempotencyKey: key,
    files,
    ...(signer ? { signature: signArtifact(signer, MODEL, files) } : {}),
  });
  return registered.version;
}

async function promote(version: number): Promise<number> {
  const promotion = await client.promote(MODEL, {
    version,
    alias: 'production',
    reason: 'test',
    force: true,
  });
  expect(promotion.outcome).toBe('promoted');
  return version;
}

const served = (version: number): Promise<boolean> =>
  eventually(
    async () => ((await status())?.serving?.version === version ? true : undefined),
    60_000,
    `v${version} to be served`,
  );

async function status(): Promise<any> {
  const body: any = await (await fetch(`${scoring.url}/v1/models/current`)).json();
  return body.sentiment.models.find((m: any) => m.owner === PLATFORM && m.name === MODEL);
}

const refusalOf = (version: number): Promise<any> =>
  eventually(
    async () => {
      const s = await status();
      return s?.lastRefused?.version === version ? s : undefined;
    },
    30_000,
    `v${version} to be refused`,
  );

beforeAll(async () => {
  const trained = await runSentimentJob({
    architecture: 'cnn',
    kind: 'sentiment',
    trainPath: '',
    inline: { train: toLabeled(5, 300), test: toLabeled(105, 60) },
    hyperparameters: {
      epochs: 1,
      embeddingDim: 8,
      filters: 8,
      hidden: 8,
      maxLength: 16,
      minCount: 1,
      seed: 5,
    },
  });
  files = trained.artifact.files;
  metrics = trained.metrics;
  db = await createTestDatabase('signed_models');
  const brokers = requireEnv('KAFKA_BROKERS');
  registry = await startService('model-registry', {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: brokers,
    HTTP_PORT: String(await freeTcpPort()),
    OUTBOX_POLL_MS: '200',
  });
  client = new RegistryClient(registry.url).forTenant(PLATFORM);
  await client.ensureModel(MODEL, 'sentiment');
  const group = `mercato-scoring-signed-${suffix}`;
  await startGroupAtEnd(testKafka(), group, [Topics.newsEnriched.name]);
  scoring = await startService(
    'scoring',
    {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: brokers,
      KAFKA_CONSUMER_GROUP: group,
      MODEL_REGISTRY_URL: registry.url,
      SENTIMENT_MODEL_NAME: MODEL,
      SENTIMENT_TEACHER_MODEL_NAME: '',
      MODEL_POLL_INTERVAL_MS: '600000',
      MODEL_VERIFY_KEYS_DIR: keysDir,
      HTTP_PORT: String(await freeTcpPort()),
      GRPC_PORT: String(await freeTcpPort()),
    },
    90_000,
  );
  await eventually(
    async () => (scoring.output().includes('listening for model lifecycle events') ? true : undefined),
    30_000,
    'the lifecycle listener to join',
  );
}, 180_000);

afterAll(async () => {
  await scoring?.stop();
  await registry?.stop();
  await db?.drop();
  rmSync(keysDir, { recursive: true, force: true });
});

describe('scoring with trusted model signing keys', () => {
  it('serves a version signed with a trusted key', async () => {
    const v1 = await promote(await register(`v1-${suffix}`, current));
    expect(await served(v1)).toBe(true);
    expect((await client.version(MODEL, v1)).signature).toMatchObject({
      algorithm: 'ed25519',
      keyId: 'mercato-2026-01',
    });
  }, 90_000);

  it('refuses an unsigned version and one signed by an untrusted key, naming version and key', async () => {
    const unsigned = await promote(await register(`v2-${suffix}`));
    const first = await refusalOf(unsigned);
    expect(first.lastRefused).toMatchObject({ reason: 'integrity' });
    expect(first.lastRefused.error).toContain(`${MODEL} v${unsigned} is unsigned`);
    expect(first.serving.version).toBe(1);

    const foreign = await promote(await register(`v3-${suffix}`, stranger));
    const second = await refusalOf(foreign);
    expect(second.lastRefused.error).toContain(
      `${MODEL} v${foreign} is signed with key someone-else, which is not trusted`,
    );
    expect(second.serving.version).toBe(1);
  }, 90_000);

  it("refuses a signed version whose file and checksum were swapped in the registry's database", async () => {
    const version = await register(`v4-${suffix}`, current);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      // What write access to the database allows: new bytes (still a valid manifest) and their checksum.
      const swapped = `a.content || convert_to(' ', 'UTF8')`;
      const res = await sql.query(
        `UPDATE model_registry.artifacts a
            SET content = ${swapped}, sha256 = encode(sha256(${swapped}), 'hex'), size_bytes = length(${swapped})
           FROM model_registry.versions v JOIN model_registry.models m ON m.id = v.model_id
          WHERE a.version_id = v.id AND m.name = $1 AND v.version = $2 AND a.path = 'manifest.json'`,
        [MODEL, version],
      );
      expect(res.rowCount).toBe(1);
    } finally {
      await sql.end();
    }
    await promote(version);
    const refused = await refusalOf(version);
    expect(refused.lastRefused.error).toContain(
      `${MODEL} v${version}: the signature by key mercato-2026-01 does not match the version's files`,
    );
    expect(refused.serving.version).toBe(1);
    // The CLI's client refuses it the same way (the checksums themselves match).
    const cli = new RegistryClient(registry.url, 30_000, {}, loadTrustedKeys(keysDir)).forTenant(PLATFORM);
    await expect(cli.download(MODEL, version)).rejects.toThrow(SignatureError);
    await expect(
      new RegistryClient(registry.url).forTenant(PLATFORM).download(MODEL, version),
    ).resolves.toBeDefined();
  }, 90_000);

  it('serves a version signed with the next key once it is trusted too (rotation)', async () => {
    const v5 = await promote(await register(`v5-${suffix}`, next));
    expect(await served(v5)).toBe(true);
  }, 90_000);
});
