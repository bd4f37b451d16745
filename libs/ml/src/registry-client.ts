// An HTTP client for the model registry, used by training (register, promote), scoring (load the
// version an alias points to) and the CLI. Every downloaded file is checked against the SHA-256
// the registry recorded: a corrupted or tampered artifact is refused before it is loaded.
import { sha256, type ArtifactFile } from './artifact';

export type ModelKind = 'sentiment' | 'recommender';
export type Alias = 'production' | 'staging' | 'shadow';

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
  aliases: Alias[];
}

export interface Promotion {
  outcome: 'promoted' | 'rejected' | 'unchanged' | 'rolled_back';
  version: number | null;
  previousVersion: number | null;
  reason: string;
}

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

export class RegistryClient {
  /**
   * `headers` go on every request: the caller's credential (`authorization: Bearer <key>`) and, for a
   * platform service key, the tenant it acts for (`x-mercato-tenant`; see forTenant).
   */
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 60_000,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** The same client acting for a tenant: a platform key's calls then see and write that tenant's models. */
  forTenant(tenantId: string): RegistryClient {
    return new RegistryClient(this.baseUrl, this.timeoutMs, {
      ...this.headers,
      'x-mercato-tenant': tenantId,
    });
  }

  private async request(path: string, init: RequestInit & { expect?: number[] } = {}): Promise<Response> {
    const res = await fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...this.headers, ...init.headers },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok && !(init.expect ?? []).includes(res.status)) {
      const text = await res.text();
      throw new RegistryError(
        `${init.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 500)}`,
        res.status,
      );
    }
    return res;
  }

  /** Creates the model if it does not exist yet. */
  async ensureModel(name: string, kind: ModelKind, description = ''): Promise<void> {
    await this.request('/v1/models', {
      method: 'POST',
      body: JSON.stringify({ name, kind, description }),
      expect: [409],
    });
  }

  /** Registers a version with its files in one request; the idempotency key makes retries safe. */
  async register(
    name: string,
    body: {
      metrics: Record<string, number>;
      lineage: Record<string, unknown>;
      idempotencyKey: string;
      files: ArtifactFile[];
    },
  ): Promise<RegistryVersion> {
    const res = await this.request(`/v1/models/${encodeURIComponent(name)}/versions`, {
      method: 'POST',
      body: JSON.stringify({
        ...body,
        files: body.files.map((f) => ({
          path: f.path,
          contentBase64: Buffer.from(f.bytes).toString('base64'),
        })),
      }),
    });
    return (await res.json()) as RegistryVersion;
  }

  /** The version an alias points to, or undefined when the alias (or the model) does not exist. */
  async resolveAlias(name: string, alias: Alias): Promise<number | undefined> {
    const res = await this.request(`/v1/models/${encodeURIComponent(name)}/aliases/${alias}`, {
      expect: [404],
    });
    if (res.status === 404) return undefined;
    return ((await res.json()) as { version: number }).version;
  }

  async version(name: string, version: number): Promise<RegistryVersion> {
    const res = await this.request(`/v1/models/${encodeURIComponent(name)}/versions/${version}`);
    return (await res.json()) as RegistryVersion;
  }

  /** Downloads every file of a version and verifies each SHA-256 against the registry's record. */
  async download(
    name: string,
    version: number,
  ): Promise<{ version: RegistryVersion; files: ArtifactFile[] }> {
    const meta = await this.version(name, version);
    const files: ArtifactFile[] = [];
    for (const file of meta.files) {
      const res = await this.request(
        `/v1/models/${encodeURIComponent(name)}/versions/${version}/files/${file.path.split('/').map(encodeURIComponent).join('/')}`,
      );
      const bytes = new Uint8Array(await res.arrayBuffer());
      const digest = sha256(bytes);
      if (digest !== file.sha256)
        throw new IntegrityError(
          `${name} v${version} ${file.path}: sha256 ${digest} does not match the registry's ${file.sha256}`,
        );
      files.push({ path: file.path, bytes });
    }
    return { version: meta, files };
  }

  async promote(
    name: string,
    body: {
      version: number;
      alias: Alias;
      actor: string;
      reason: string;
      policy?: { metric: string; margin: number; higherIsBetter: boolean };
      force?: boolean;
      /** Only while the alias still points at this version (otherwise a 409 already_moved). */
      fromVersion?: number;
    },
  ): Promise<Promotion> {
    const res = await this.request(`/v1/models/${encodeURIComponent(name)}/promote`, {
      method: 'POST',
      body: JSON.stringify(body),
      expect: [409],
    });
    return (await res.json()) as Promotion;
  }
}
