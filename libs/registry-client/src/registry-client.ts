// The one HTTP client of the model registry, used by training (register, promote), scoring (load the
// version an alias points to), the CLI (`mercato models`, `eval --model name@alias`), the benches
// and the tests. Every downloaded file is checked against the SHA-256 the registry recorded: a
// corrupted or tampered artifact is refused before it is loaded; a client given trusted public keys
// also refuses a version that is unsigned or not signed by one of them (model-signature.ts). Models are named with the registry
// contract of @mercato/contracts (names, kinds, aliases, `name[@alias|@version]` references).
import { formatModelRef, type ModelAlias, type ModelKindName, type ModelRef } from '@mercato/contracts';
import { createHash } from 'node:crypto';
import { signatureProblem, type ModelSignature, type TrustedKeys } from './model-signature';

/** A file of a model artifact: its path inside the artifact and its bytes. */
export interface ArtifactBytes {
  path: string;
  bytes: Uint8Array;
}

export interface RegistryFile {
  path: string;
  sha256: string;
  size: number;
  url: string;
}

export interface RegistryVersion {
  model: string;
  version: number;
  metrics: Record<string, number>;
  lineage: Record<string, unknown>;
  files: RegistryFile[];
  aliases: ModelAlias[];
  /** The signature training registered the version with (null: unsigned). */
  signature: ModelSignature | null;
}

export interface ModelSummary {
  name: string;
  kind: ModelKindName;
  description: string;
  latestVersion: number;
  aliases: Partial<Record<ModelAlias, number>>;
  createdAt: string;
}

export interface VersionSummary {
  version: number;
  status: string;
  metrics: Record<string, number>;
  fileCount: number;
  totalBytes: number;
  aliases: ModelAlias[];
  createdAt: string;
}

export interface Promotion {
  outcome: 'promoted' | 'rejected' | 'unchanged' | 'rolled_back' | 'retrain_failed';
  model: string;
  alias: ModelAlias;
  version: number | null;
  previousVersion: number | null;
  requestedVersion?: number;
  reason: string;
}

export interface AliasMove {
  id: number;
  alias: ModelAlias;
  action: string;
  fromVersion: number | null;
  toVersion: number;
  /** The authenticated principal that moved the alias (the registry records it from the credential). */
  actor: string;
  reason: string;
  /** The promotion policy's verdict with its figures (promotions and refusals judged by a policy). */
  decision: {
    promote: boolean;
    reason: string;
    /** holdout, registered, or online (figures measured on live traffic by the serving service). */
    championMeasuredOn?: string;
  } | null;
  revertedBy: number | null;
  at: string;
}

/** GET /v1/models/{name}/versions/{v}/lineage (the registry's LineageView). */
export interface VersionLineage {
  model: string;
  version: number;
  kind: string;
  registeredAt: string;
  aliases: string[];
  codeVersion: unknown;
  backend: unknown;
  dataset: {
    ref: unknown;
    hash: unknown;
    snapshot: unknown;
    split: unknown;
    trainExamples: unknown;
    testExamples: unknown;
  };
  feedback: unknown;
  training: { runId: unknown; requestId: unknown; requestedBy: unknown };
  parent: unknown;
  teachers: unknown;
  champion: unknown;
  decisions: AliasMove[];
}

/** Who promotes is the credential's principal, recorded by the registry; `reason` is free text. */
export interface PromoteRequest {
  version: number;
  alias: ModelAlias;
  reason: string;
  policy?: { metric: string; margin: number; higherIsBetter: boolean };
  force?: boolean;
  /** Only while the alias still points at this version (otherwise a 409 already_moved). */
  fromVersion?: number;
  /** Decide on figures measured on live traffic instead of a policy (see OnlineEvidence). */
  online?: OnlineEvidence;
}

/**
 * Figures measured on live traffic by the serving service (scoring's recommendation outcomes): the
 * challenger's and the alias holder's value of the metric over `sample` answers. The promotion goes
 * ahead when the sample reaches `minSample` and the challenger is at least `margin` better; a
 * negative margin lets it be that much worse ("at least as good, within a tolerance").
 */
export interface OnlineEvidence {
  metric: string;
  challengerValue: number;
  championValue: number;
  sample: number;
  minSample: number;
  margin: number;
}

/** The registry answered with an error: its status and body (`{ statusCode, error, message, errors }`). */
export class RegistryError extends Error {
  /** The body's machine-readable code (`not_found`, `artifact_corrupted`, …), when it has one. */
  readonly code: string | undefined;

  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'RegistryError';
    const code = (body as { error?: unknown } | undefined)?.error;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** Nothing answered at the registry's address. */
export class RegistryUnreachableError extends Error {
  constructor(baseUrl: string, why: string) {
    super(
      `cannot reach the model registry at ${baseUrl} (${why}); is it running? MODEL_REGISTRY_URL sets where it is`,
    );
    this.name = 'RegistryUnreachableError';
  }
}

export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/**
 * The artifact's bytes are not what was registered: they failed their checksum here, or the registry
 * found its stored bytes no longer match (artifact_corrupted). Such a version must never be loaded.
 */
/** A version whose signature is missing, by an untrusted key, or does not match its files. */
export class SignatureError extends IntegrityError {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

export const isIntegrityFailure = (err: unknown): boolean =>
  err instanceof IntegrityError || (err instanceof RegistryError && err.code === 'artifact_corrupted');

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The registry's error text: its message and every field with its reason. */
function errorText(body: unknown): string {
  if (typeof body !== 'object' || body === null) return String(body).slice(0, 500);
  const { message, errors } = body as { message?: unknown; errors?: { field: string; reason: string }[] };
  const fields = Array.isArray(errors)
    ? errors
        .filter((e) => e.reason !== message)
        .map((e) => `\n  ${e.field}: ${e.reason}`)
        .join('')
    : '';
  return `${typeof message === 'string' ? message : JSON.stringify(body).slice(0, 500)}${fields}`;
}

export class RegistryClient {
  /**
   * `headers` go on every request: the caller's credential (`authorization: Bearer <key>`) and, for a
   * platform service key, the tenant it acts for (`x-mercato-tenant`; see forTenant). With
   * `trustedKeys`, downloads verify each version's signature.
   */
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 60_000,
    private readonly headers: Record<string, string> = {},
    private readonly trustedKeys?: TrustedKeys,
  ) {}

  /** The same client acting for a tenant: a platform key's calls then see and write that tenant's models. */
  forTenant(tenantId: string): RegistryClient {
    return new RegistryClient(
      this.baseUrl,
      this.timeoutMs,
      { ...this.headers, 'x-mercato-tenant': tenantId },
      this.trustedKeys,
    );
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; expect?: number[] } = {},
  ): Promise<Response> {
    const base = this.baseUrl.replace(/\/+$/, '');
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw err;
      const { cause } = err as { cause?: { code?: string; message?: string } };
      throw new RegistryUnreachableError(base, cause?.code ?? cause?.message ?? (err as Error).message);
    }
    if (!res.ok && !(options.expect ?? []).includes(res.status)) {
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: the text is the message
      }
      throw new RegistryError(`model registry answered ${res.status}: ${errorText(body)}`, res.status, body);
    }
    return res;
  }

  private async json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, { body })).json()) as T;
  }

  private static path(name: string): string {
    return `/v1/models/${encodeURIComponent(name)}`;
  }

  async listModels(kind?: ModelKindName): Promise<ModelSummary[]> {
    const query = new URLSearchParams({ limit: '1000', ...(kind ? { kind } : {}) });
    return (await this.json<{ items: ModelSummary[] }>('GET', `/v1/models?${query.toString()}`)).items;
  }

  async model(name: string): Promise<ModelSummary> {
    return this.json('GET', RegistryClient.path(name));
  }

  async versions(name: string): Promise<VersionSummary[]> {
    return (
      await this.json<{ items: VersionSummary[] }>('GET', `${RegistryClient.path(name)}/versions?limit=1000`)
    ).items;
  }

  /** Creates the model if it does not exist yet. */
  async ensureModel(name: string, kind: ModelKindName, description = ''): Promise<void> {
    await this.request('POST', '/v1/models', { body: { name, kind, description }, expect: [409] });
  }

  /** Registers a version with its files in one request; the idempotency key makes retries safe. */
  async register(
    name: string,
    body: {
      metrics: Record<string, number>;
      lineage: Record<string, unknown>;
      idempotencyKey: string;
      files: ArtifactBytes[];
      /** signArtifact's signature of the files under this model name. */
      signature?: ModelSignature;
    },
  ): Promise<RegistryVersion> {
    return this.json('POST', `${RegistryClient.path(name)}/versions`, {
      ...body,
      files: body.files.map((f) => ({
        path: f.path,
        contentBase64: Buffer.from(f.bytes).toString('base64'),
      })),
    });
  }

  /** The version an alias points to, or undefined when the alias (or the model) does not exist. */
  async resolveAlias(name: string, alias: ModelAlias): Promise<number | undefined> {
    const res = await this.request('GET', `${RegistryClient.path(name)}/aliases/${alias}`, { expect: [404] });
    if (res.status === 404) return undefined;
    return ((await res.json()) as { version: number }).version;
  }

  /**
   * The version a reference names: `name@version` itself, `name@alias` (and `name`, which means
   * `name@production`) the version the alias points to. Throws when the alias is not set.
   */
  async resolve(ref: ModelRef): Promise<number> {
    if (ref.version !== undefined) return ref.version;
    const alias = ref.alias ?? 'production';
    const version = await this.resolveAlias(ref.name, alias);
    if (version === undefined)
      throw new RegistryError(`${formatModelRef(ref)}: ${ref.name} has no ${alias} version`, 404, undefined);
    return version;
  }

  async version(name: string, version: number): Promise<RegistryVersion> {
    return this.json('GET', `${RegistryClient.path(name)}/versions/${version}`);
  }

  /** The version's lineage: dataset snapshot, feedback, code, run, and every decision about it. */
  async lineage(name: string, version: number): Promise<VersionLineage> {
    return this.json('GET', `${RegistryClient.path(name)}/versions/${version}/lineage`);
  }

  /**
   * Downloads every file of a version and verifies each SHA-256 against the registry's record, then,
   * with trusted keys, the version's signature (a SignatureError names the version and the key).
   */
  async download(
    name: string,
    version: number,
  ): Promise<{ version: RegistryVersion; files: ArtifactBytes[] }> {
    const meta = await this.version(name, version);
    const files: ArtifactBytes[] = [];
    for (const file of meta.files) {
      const res = await this.request(
        'GET',
        `${RegistryClient.path(name)}/versions/${version}/files/${file.path.split('/').map(encodeURIComponent).join('/')}`,
      );
      const bytes = new Uint8Array(await res.arrayBuffer());
      const digest = sha256(bytes);
      if (digest !== file.sha256)
        throw new IntegrityError(
          `${name} v${version} ${file.path}: sha256 ${digest} does not match the registry's ${file.sha256}`,
        );
      files.push({ path: file.path, bytes });
    }
    if (this.trustedKeys) {
      const problem = signatureProblem(this.trustedKeys, name, version, meta.files, meta.signature);
      if (problem) throw new SignatureError(problem);
    }
    return { version: meta, files };
  }

  /** Promotes; a promotion policy's refusal is an answer (outcome "rejected"), not an error. */
  async promote(name: string, body: PromoteRequest): Promise<Promotion> {
    const res = await this.request('POST', `${RegistryClient.path(name)}/promote`, { body, expect: [409] });
    const answer = (await res.json()) as Promotion | { outcome?: undefined };
    if (res.status === 409 && answer.outcome !== 'rejected')
      throw new RegistryError(`model registry answered 409: ${errorText(answer)}`, 409, answer);
    return answer as Promotion;
  }

  async rollback(name: string, body: { alias: ModelAlias; reason: string }): Promise<Promotion> {
    return this.json('POST', `${RegistryClient.path(name)}/rollback`, body);
  }

  /** Records that a retrain meant to replace the alias holder failed (history and a RETRAIN_FAILED event). */
  async retrainFailed(
    name: string,
    body: { alias: ModelAlias; requestId: string; reason: string },
  ): Promise<Promotion> {
    return this.json('POST', `${RegistryClient.path(name)}/retrain-failures`, body);
  }

  /** Every move of an alias, newest first. */
  async history(name: string, alias: ModelAlias): Promise<AliasMove[]> {
    return (
      await this.json<{ items: AliasMove[] }>(
        'GET',
        `${RegistryClient.path(name)}/aliases/${encodeURIComponent(alias)}/history?limit=1000`,
      )
    ).items;
  }
}
