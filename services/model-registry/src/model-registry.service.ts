// Models and versions: creation, all-or-nothing idempotent registration of a version with its
// artifact files, reads, checksum-verified downloads, and archiving. Each change commits together
// with its lifecycle event in the outbox and its audit entry (the authenticated principal).
import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ModelEventType, type ModelKindName } from '@mercato/contracts';
import type { Principal } from '@mercato/auth';
import { AuditLog, Database } from '@mercato/db';
import { conflict, failed, invalidInput, notFound, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { context, propagation } from '@opentelemetry/api';
import type { ArchiveInput } from './alias.dto';
import { AliasRepository } from './alias.repository';
import { MANIFEST_FILE, MODEL_FILE, checkBundle } from './artifact-bundle';
import { type CreateModelInput } from './model.dto';
import { modelEventJson } from './model-events';
import { ModelRepository, type ModelListRow, type ModelRow } from './model.repository';
import { ModelVersionRepository, type NewArtifact, type VersionRow } from './model-version.repository';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository } from './outbox.repository';
import type { RegisterVersionInput } from './register-version.dto';
import type { RegistryConfig } from './registry-config';
import { registryMetrics } from './registry-metrics';
import type {
  ArchiveView,
  ModelDetailView,
  ModelView,
  VersionSummaryView,
  VersionView,
} from './registry.views';

export interface ArtifactDownload {
  path: string;
  sha256: string;
  size: number;
  contentType: string;
  content: Buffer;
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

const iso = (d: Date): string => d.toISOString();

@Injectable()
export class ModelRegistryService {
  constructor(
    private readonly db: Database,
    private readonly models: ModelRepository,
    private readonly versions: ModelVersionRepository,
    private readonly aliases: AliasRepository,
    private readonly outbox: OutboxRepository,
    private readonly relay: OutboxRelay,
    private readonly audit: AuditLog,
    @Inject(SERVICE_CONFIG) private readonly config: RegistryConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  versionPath(model: string, version: number): string {
    return `/v1/models/${model}/versions/${version}`;
  }

  /** Where tf.loadLayersModel finds the version (weights resolve next to it). */
  artifactUri(model: string, version: number): string {
    return `${this.config.PUBLIC_URL ?? ''}${this.versionPath(model, version)}/files/${MODEL_FILE}`;
  }

  /** The caller's model: another tenant's model of the same name is a 404, so existence does not leak. */
  async requireModel(tenantId: string, name: string): Promise<ModelRow> {
    const model = await this.models.findByName(tenantId, name);
    if (!model) throw notFound(`model "${name}" does not exist`);
    return model;
  }

  async createModel(principal: Principal, input: CreateModelInput): Promise<ModelView> {
    const model = await this.db.transaction(async (tx) => {
      const created = await this.models.create(
        { name: input.name, kind: input.kind, description: input.description, tenantId: principal.tenantId },
        tx,
      );
      if (!created) throw conflict('model_exists', `model "${input.name}" already exists`);
      await this.audit.record(
        principal,
        { action: 'model.create', target: input.name, details: { kind: input.kind } },
        tx,
      );
      return created;
    });
    this.logger.info({ model: model.name, kind: model.kind }, 'model created');
    return this.modelView({ ...model, aliases: {} });
  }

  async listModels(
    tenantId: string,
    filter: { kind?: ModelKindName; limit: number; offset: number },
  ): Promise<ModelView[]> {
    const rows = await this.models.list(tenantId, filter);
    return rows.map((r) => this.modelView(r));
  }

  async getModel(tenantId: string, name: string): Promise<ModelDetailView> {
    const model = await this.requireModel(tenantId, name);
    const aliases = await this.aliases.all(model.id);
    const versions = await this.versions.list(model.id, 10, 0);
    return {
      ...this.modelView({ ...model, aliases }),
      versions: versions.map((v) => this.summaryView(v, aliases)),
    };
  }

  /**
   * Registers a version with all its files in one transaction: a crash or a bad file leaves nothing
   * behind. The model row's lock serializes registrations of the model, so version numbers are
   * gapless and the idempotency check cannot race. Returns created=false for a retry.
   */
  async registerVersion(
    principal: Principal,
    name: string,
    input: RegisterVersionInput,
  ): Promise<{ created: boolean; version: VersionView }> {
    const { tenantId } = principal;
    const artifacts: (NewArtifact & { content?: Uint8Array })[] = input.files.map((file) => {
      const bytes = Buffer.from(file.contentBase64, 'base64');
      const keep = file.path === MODEL_FILE || file.path === MANIFEST_FILE;
      return {
        path: file.path,
        role: 'other',
        sha256: sha256(bytes),
        size: bytes.length,
        contentBase64: file.contentBase64,
        content: keep ? bytes : undefined,
      };
    });
    const bundle = checkBundle(artifacts);
    if (bundle.issues.length > 0) {
      registryMetrics.registrations.inc({ outcome: 'invalid' });
      throw invalidInput(bundle.issues);
    }
    for (const a of artifacts) a.role = bundle.roles.get(a.path) ?? 'other';
    const requestDigest = sha256(
      canonicalJson({
        files: artifacts.map((a) => [a.path, a.sha256]).sort(([a], [b]) => (a < b ? -1 : 1)),
        metrics: input.metrics,
        lineage: input.lineage,
      }),
    );
    const traceparent = currentTraceparent();

    const result = await this.db.transaction(async (tx) => {
      const model = await this.models.lockForRegistration(tx, tenantId, name);
      if (!model) throw notFound(`model "${name}" does not exist`);
      const existing = await this.versions.findByIdempotencyKey(tx, model.id, input.idempotencyKey);
      if (existing) {
        if (existing.requestDigest !== requestDigest) {
          throw conflict(
            'idempotency_key_reused',
            `idempotencyKey "${input.idempotencyKey}" already registered v${existing.version} of "${name}" with different files, metrics or lineage`,
            { version: existing.version },
          );
        }
        return { created: false, version: existing.version };
      }
      const parent = input.lineage.parent;
      if (parent && !(await this.versions.existsByName(tenantId, parent.model, parent.version, tx))) {
        throw invalidInput([
          {
            field: 'lineage.parent',
            reason: `model "${parent.model}" has no version ${parent.version} in the registry`,
          },
        ]);
      }
      const version = model.latestVersion + 1;
      await this.models.setLatestVersion(tx, model.id, version);
      const versionId = await this.versions.insert(tx, {
        modelId: model.id,
        version,
        metrics: input.metrics,
        lineage: input.lineage,
        idempotencyKey: input.idempotencyKey,
        requestDigest,
        signature: input.signature ?? null,
      });
      for (const artifact of artifacts) await this.versions.insertArtifact(tx, versionId, artifact);
      await this.audit.record(
        principal,
        {
          action: 'model.register',
          target: `${name}@${version}`,
          details: {
            idempotencyKey: input.idempotencyKey,
            files: artifacts.length,
            signedBy: input.signature?.keyId ?? null,
            ...(input.lineage.trainingRequestId
              ? { trainingRequestId: input.lineage.trainingRequestId }
              : {}),
          },
        },
        tx,
      );
      // The event is written last: everything before it is part of the same commit.
      const eventId = randomUUID();
      await this.outbox.enqueue(tx, {
        eventId,
        key: name,
        tenantId: model.tenantId,
        traceparent,
        payload: modelEventJson({
          eventId,
          type: ModelEventType.REGISTERED,
          tenantId: model.tenantId,
          model: name,
          kind: model.kind,
          version,
          metrics: input.metrics,
          artifactUri: this.artifactUri(name, version),
          reason: input.lineage.trainingRequestId
            ? `training request ${input.lineage.trainingRequestId}`
            : '',
        }),
      });
      return { created: true, version };
    });

    if (result.created) {
      this.relay.kick();
      const bytes = artifacts.reduce((n, a) => n + a.size, 0);
      registryMetrics.registrations.inc({ outcome: 'created' });
      registryMetrics.artifactBytes.inc(bytes);
      this.logger.info(
        { model: name, version: result.version, files: artifacts.length, bytes },
        'version registered',
      );
    } else {
      registryMetrics.registrations.inc({ outcome: 'replayed' });
      this.logger.info(
        { model: name, version: result.version, idempotencyKey: input.idempotencyKey },
        'registration retried: returning the existing version',
      );
    }
    return { created: result.created, version: await this.getVersion(tenantId, name, result.version) };
  }

  async listVersions(
    tenantId: string,
    name: string,
    paging: { limit: number; offset: number },
  ): Promise<VersionSummaryView[]> {
    const model = await this.requireModel(tenantId, name);
    const aliases = await this.aliases.all(model.id);
    const rows = await this.versions.list(model.id, paging.limit, paging.offset);
    return rows.map((v) => this.summaryView(v, aliases));
  }

  async getVersion(tenantId: string, name: string, version: number): Promise<VersionView> {
    const model = await this.requireModel(tenantId, name);
    const row = await this.requireVersion(model, version);
    const [files, aliases] = await Promise.all([this.versions.files(row.id), this.aliases.all(model.id)]);
    const base = this.versionPath(name, version);
    return {
      ...this.summaryView(row, aliases),
      model: model.name,
      kind: model.kind,
      lineage: row.lineage,
      idempotencyKey: row.idempotencyKey,
      signature: row.signature,
      archivedAt: row.archivedAt ? iso(row.archivedAt) : null,
      artifactUri: this.artifactUri(name, version),
      files: files.map((f) => ({ ...f, url: `${base}/files/${f.path}` })),
    };
  }

  /**
   * The bytes of one artifact file, verified against the SHA-256 recorded at registration: bytes
   * that changed at rest are refused (500, counted, logged), never served.
   */
  async readFile(tenantId: string, name: string, version: number, path: string): Promise<ArtifactDownload> {
    const model = await this.requireModel(tenantId, name);
    const row = await this.requireVersion(model, version);
    const file = await this.versions.readFile(row.id, path);
    if (!file) throw notFound(`version ${version} of "${name}" has no file "${path}"`);
    const actual = sha256(file.content);
    if (actual !== file.sha256 || file.content.length !== file.size) {
      registryMetrics.checksumFailures.inc({ model: name });
      this.logger.error(
        { model: name, version, path, expected: file.sha256, actual, size: file.content.length },
        'artifact checksum mismatch: refusing to serve corrupted bytes',
      );
      throw failed(
        'artifact_corrupted',
        `stored bytes of "${path}" (v${version} of "${name}") do not match the SHA-256 recorded at registration ` +
          `(expected ${file.sha256}, got ${actual}); the file was not served`,
      );
    }
    return {
      path: file.path,
      sha256: file.sha256,
      size: file.size,
      contentType: path.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      content: file.content,
    };
  }

  /** Archives a version no alias points to; archived versions cannot be promoted again. */
  async archiveVersion(
    principal: Principal,
    name: string,
    version: number,
    input: ArchiveInput,
  ): Promise<ArchiveView> {
    const traceparent = currentTraceparent();
    const result = await this.db.transaction(async (tx) => {
      const model = await this.models.findByName(principal.tenantId, name, tx);
      if (!model) throw notFound(`model "${name}" does not exist`);
      await this.models.lockAliases(tx, model.id);
      const row = await this.versions.find(model.id, version, tx);
      if (!row) throw notFound(`model "${name}" has no version ${version}`);
      if (row.status === 'archived') return { outcome: 'unchanged' as const, eventId: null };
      const holders = await this.aliases.heldBy(model.id, version, tx);
      if (holders.length > 0) {
        throw conflict(
          'version_in_use',
          `v${version} of "${name}" is ${holders.join(' and ')}: move the alias before archiving it`,
          { aliases: holders },
        );
      }
      await this.versions.archive(tx, row.id);
      await this.audit.record(
        principal,
        { action: 'model.archive', target: `${name}@${version}`, reason: input.reason },
        tx,
      );
      const eventId = randomUUID();
      await this.outbox.enqueue(tx, {
        eventId,
        key: name,
        tenantId: model.tenantId,
        traceparent,
        payload: modelEventJson({
          eventId,
          type: ModelEventType.ARCHIVED,
          tenantId: model.tenantId,
          model: name,
          kind: model.kind,
          version,
          reason: input.reason,
        }),
      });
      return { outcome: 'archived' as const, eventId };
    });
    if (result.outcome === 'archived') {
      this.relay.kick();
      this.logger.info(
        { model: name, version, principal: principal.subject, reason: input.reason },
        'version archived',
      );
    }
    return { ...result, model: name, version };
  }

  private async requireVersion(model: ModelRow, version: number): Promise<VersionRow> {
    const row = await this.versions.find(model.id, version);
    if (!row) throw notFound(`model "${model.name}" has no version ${version}`);
    return row;
  }

  private modelView(m: ModelListRow): ModelView {
    return {
      name: m.name,
      kind: m.kind,
      tenantId: m.tenantId,
      description: m.description,
      latestVersion: m.latestVersion,
      aliases: m.aliases,
      createdAt: iso(m.createdAt),
    };
  }

  private summaryView(v: VersionRow, aliases: Record<string, number | undefined>): VersionSummaryView {
    return {
      version: v.version,
      status: v.status,
      metrics: v.metrics,
      fileCount: v.fileCount,
      totalBytes: v.totalBytes,
      aliases: Object.entries(aliases)
        .filter(([, held]) => held === v.version)
        .map(([alias]) => alias as VersionSummaryView['aliases'][number]),
      createdAt: iso(v.createdAt),
    };
  }
}
