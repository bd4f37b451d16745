// Aliases: promotion (optionally gated by a promotion policy — the request's, else the kind's
// configured default — or decided on figures the serving service measured online), rollback through the history of promotions, resolution and history. Every
// move commits together with its history row, its audit entry and its PROMOTED event in the outbox,
// and so does every refusal (a 'rejected' history row and a PROMOTION_REJECTED event, with the
// verdict's figures); the history's and the audit log's actor is the authenticated principal, never
// a request field.
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { Inject, Injectable } from '@nestjs/common';
import { lineageTeachers, ModelEventType, type ModelAlias, type ModelKindName } from '@mercato/contracts';
import type { Principal } from '@mercato/auth';
import { AuditLog, Database } from '@mercato/db';
import { conflict, notFound, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import type { PromoteInput, RetrainFailureInput, RollbackInput } from './alias.dto';
import { AliasRepository, type AliasAction, type AliasHistoryRow } from './alias.repository';
import { modelEventJson } from './model-events';
import { ModelRegistryService, currentTraceparent } from './model-registry.service';
import { ModelRepository } from './model.repository';
import { ModelVersionRepository } from './model-version.repository';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository } from './outbox.repository';
import {
  evaluateOnline,
  evaluatePromotion,
  type PolicyCandidate,
  type PromotionDecision,
  type PromotionPolicy,
} from './promotion-policy';
import type { RegistryConfig } from './registry-config';
import { registryMetrics } from './registry-metrics';
import type { AliasHistoryView, AliasView, LineageView, PromotionView } from './registry.views';

/** The lifecycle event each kind of alias history entry is published as. */
const EVENT_OF_ACTION: Record<
  AliasAction,
  ModelEventType.PROMOTED | ModelEventType.PROMOTION_REJECTED | ModelEventType.RETRAIN_FAILED
> = {
  promote: ModelEventType.PROMOTED,
  rollback: ModelEventType.PROMOTED,
  rejected: ModelEventType.PROMOTION_REJECTED,
  retrain_failed: ModelEventType.RETRAIN_FAILED,
};

@Injectable()
export class PromotionService {
  constructor(
    private readonly db: Database,
    private readonly models: ModelRepository,
    private readonly versions: ModelVersionRepository,
    private readonly aliases: AliasRepository,
    private readonly outbox: OutboxRepository,
    private readonly relay: OutboxRelay,
    private readonly registry: ModelRegistryService,
    private readonly audit: AuditLog,
    @Inject(SERVICE_CONFIG) private readonly config: RegistryConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  defaultPolicy(kind: ModelKindName): PromotionPolicy | undefined {
    switch (kind) {
      case 'sentiment':
        return this.config.PROMOTION_POLICY_SENTIMENT;
      case 'recommender':
        return this.config.PROMOTION_POLICY_RECOMMENDER;
    }
  }

  async resolve(tenantId: string, name: string, alias: ModelAlias): Promise<AliasView> {
    const model = await this.registry.requireModel(tenantId, name);
    const held = await this.aliases.get(model.id, alias);
    if (!held) throw notFound(`model "${name}" has no ${alias} version`);
    return {
      model: name,
      alias,
      version: held.version,
      updatedAt: held.updatedAt.toISOString(),
      artifactUri: this.registry.artifactUri(name, held.version),
    };
  }

  async history(
    tenantId: string,
    name: string,
    alias: ModelAlias,
    paging: { limit: number; offset: number },
  ): Promise<AliasHistoryView[]> {
    const model = await this.registry.requireModel(tenantId, name);
    const rows = await this.aliases.history(model.id, alias, paging.limit, paging.offset);
    return rows.map(historyView);
  }

  /**
   * One call from a version to where it came from: its training dataset snapshot, the feedback it
   * saw, the code and the run that trained it (from its lineage), and every decision about it.
   */
  async lineage(tenantId: string, name: string, version: number): Promise<LineageView> {
    const v = await this.registry.getVersion(tenantId, name, version);
    const model = await this.registry.requireModel(tenantId, name);
    const l = v.lineage;
    const teachers = lineageTeachers(l);
    return {
      model: v.model,
      version: v.version,
      kind: v.kind,
      registeredAt: v.createdAt,
      aliases: v.aliases,
      codeVersion: l.codeVersion ?? null,
      backend: l.backend ?? null,
      dataset: {
        ref: l.datasetRef ?? l.source ?? null,
        hash: l.datasetHash ?? null,
        snapshot: l.featureDataset ?? null,
        split: l.split ?? null,
        trainExamples: l.trainExamples ?? null,
        testExamples: l.testExamples ?? null,
      },
      feedback: l.feedback ?? null,
      training: {
        runId: l.runId ?? null,
        requestId: l.trainingRequestId ?? null,
        requestedBy: l.requestedBy ?? null,
      },
      parent: l.parent ?? null,
      teachers: teachers.length > 0 ? teachers : null,
      champion:
        l.championVersion === undefined
          ? null
          : { version: l.championVersion, metrics: l.championMetrics ?? null },
      decisions: (await this.aliases.decisionsFor(model.id, version)).map(historyView),
    };
  }

  /**
   * Points the alias at the version. With a policy (the request's, or the kind's default unless
   * `force`), the version must beat the alias's current holder; a refusal changes nothing and is
   * returned as outcome "rejected" with the reason.
   */
  async promote(principal: Principal, name: string, input: PromoteInput): Promise<PromotionView> {
    const traceparent = currentTraceparent();
    const { alias } = input;
    const view = await this.db.transaction(async (tx): Promise<PromotionView> => {
      const decided = await this.decidePromotion(tx, principal, name, input, traceparent);
      await this.audit.record(
        principal,
        {
          action: 'model.promote',
          target: `${name}@${alias}`,
          outcome: decided.outcome,
          reason: input.reason,
          details: {
            version: input.version,
            previousVersion: decided.previousVersion,
            ...(input.force ? { force: true } : {}),
            ...(decided.decision ? { decision: decided.decision.reason } : {}),
          },
        },
        tx,
      );
      return decided;
    });
    registryMetrics.promotions.inc({ alias, outcome: view.outcome });
    if (view.outcome === 'promoted') {
      this.relay.kick();
      this.logger.info(
        {
          model: name,
          alias,
          version: view.version,
          previousVersion: view.previousVersion,
          principal: principal.subject,
        },
        'alias promoted',
      );
    } else if (view.outcome === 'rejected') {
      this.logger.info(
        { model: name, alias, version: input.version, principal: principal.subject, reason: view.reason },
        'promotion rejected by the policy',
      );
    }
    return view;
  }

  /** The promotion's outcome; when promoted, the alias moved with its history row and outbox event. */
  private async decidePromotion(
    tx: PoolClient,
    principal: Principal,
    name: string,
    input: PromoteInput,
    traceparent: string | undefined,
  ): Promise<PromotionView> {
    const { alias } = input;
    const model = await this.models.findByName(principal.tenantId, name, tx);
    if (!model) throw notFound(`model "${name}" does not exist`);
    await this.models.lockAliases(tx, model.id);
    const challenger = await this.versions.find(model.id, input.version, tx);
    if (!challenger) throw notFound(`model "${name}" has no version ${input.version}`);
    if (challenger.status === 'archived') {
      throw conflict('version_archived', `v${input.version} of "${name}" is archived and cannot be promoted`);
    }
    const current = await this.aliases.get(model.id, alias, tx);
    if (input.fromVersion !== undefined && current?.version !== input.fromVersion) {
      throw conflict(
        'already_moved',
        `${alias} of "${name}" points to ${current ? `v${current.version}` : 'no version'}, not v${input.fromVersion}: not promoted`,
      );
    }
    const base = { model: name, alias, requestedVersion: input.version, historyId: null, eventId: null };
    if (current?.version === input.version) {
      return {
        ...base,
        outcome: 'unchanged',
        version: input.version,
        previousVersion: current.version,
        reason: `${alias} already points to v${input.version}`,
        decision: null,
      };
    }
    // Shadow is where a candidate for production waits for its online comparison (scoring then
    // promotes or rejects it), so a policy judges it against production, not the previous candidate.
    const judgedAlias: ModelAlias = alias === 'shadow' ? 'production' : alias;
    const holder = judgedAlias === alias ? current : await this.aliases.get(model.id, judgedAlias, tx);
    const champion = holder ? await this.versions.find(model.id, holder.version, tx) : undefined;
    const policy = input.online
      ? undefined
      : (input.policy ?? (input.force ? undefined : this.defaultPolicy(model.kind)));
    const decision = input.online
      ? evaluateOnline(input.online, challenger.version, current?.version, alias)
      : evaluatePromotion(
          policy,
          policyCandidate(challenger),
          champion && { version: champion.version, metrics: champion.metrics },
          judgedAlias,
        );
    const judged = policy !== undefined || input.online !== undefined;
    const previousVersion = current?.version ?? null;
    if (!decision.promote) {
      const { entry, eventId } = await this.recordDecision(tx, traceparent, model, {
        action: 'rejected',
        alias,
        fromVersion: previousVersion,
        version: challenger,
        actor: principal.subject,
        historyReason: input.reason,
        eventReason: decision.reason,
        decision,
      });
      return {
        ...base,
        outcome: 'rejected',
        version: previousVersion,
        previousVersion,
        reason: decision.reason,
        decision,
        historyId: entry.id,
        eventId,
      };
    }
    await this.aliases.set(tx, model.id, alias, challenger.version);
    const { entry, eventId } = await this.recordDecision(tx, traceparent, model, {
      action: 'promote',
      alias,
      fromVersion: previousVersion,
      version: challenger,
      actor: principal.subject,
      historyReason: input.reason,
      eventReason: input.reason || decision.reason,
      decision: judged ? decision : null,
    });
    return {
      ...base,
      outcome: 'promoted',
      version: challenger.version,
      previousVersion,
      reason: input.reason || decision.reason,
      decision: judged ? decision : null,
      historyId: entry.id,
      eventId,
    };
  }

  /**
   * Records that a retrain meant to replace the alias holder failed (the training service says so):
   * history (from and to the holder, which stays) and a RETRAIN_FAILED event with the cause. 409
   * when the alias holds no version (there was nothing to replace).
   */
  async retrainFailed(
    principal: Principal,
    name: string,
    input: RetrainFailureInput,
  ): Promise<PromotionView> {
    const traceparent = currentTraceparent();
    const { alias } = input;
    const view = await this.db.transaction(async (tx): Promise<PromotionView> => {
      const model = await this.models.findByName(principal.tenantId, name, tx);
      if (!model) throw notFound(`model "${name}" does not exist`);
      await this.models.lockAliases(tx, model.id);
      const current = await this.aliases.get(model.id, alias, tx);
      if (!current) throw conflict('nothing_to_replace', `${alias} of "${name}" has never been set`);
      const holder = await this.versions.find(model.id, current.version, tx);
      if (!holder) throw notFound(`model "${name}" has no version ${current.version}`);
      const reason = `retrain ${input.requestId} failed: ${input.reason}`;
      const { entry, eventId } = await this.recordDecision(tx, traceparent, model, {
        action: 'retrain_failed',
        alias,
        fromVersion: current.version,
        version: holder,
        actor: principal.subject,
        historyReason: reason,
        eventReason: reason,
        decision: null,
      });
      return {
        outcome: 'retrain_failed',
        model: name,
        alias,
        version: current.version,
        previousVersion: current.version,
        reason,
        decision: null,
        historyId: entry.id,
        eventId,
      };
    });
    registryMetrics.promotions.inc({ alias, outcome: view.outcome });
    this.relay.kick();
    return view;
  }

  /**
   * Moves the alias back to the version it held before its latest promotion still in effect, and
   * marks that promotion undone, so successive rollbacks keep walking back. 409 when the alias was
   * never moved from an earlier version.
   */
  async rollback(principal: Principal, name: string, input: RollbackInput): Promise<PromotionView> {
    const traceparent = currentTraceparent();
    const { alias } = input;
    const view = await this.db.transaction(async (tx): Promise<PromotionView> => {
      const model = await this.models.findByName(principal.tenantId, name, tx);
      if (!model) throw notFound(`model "${name}" does not exist`);
      await this.models.lockAliases(tx, model.id);
      const current = await this.aliases.get(model.id, alias, tx);
      if (input.fromVersion !== undefined && current?.version !== input.fromVersion) {
        throw conflict(
          'already_moved',
          `${alias} of "${name}" points to ${current ? `v${current.version}` : 'no version'}, not v${input.fromVersion}: nothing rolled back`,
        );
      }
      if (!current) throw conflict('nothing_to_roll_back', `${alias} of "${name}" has never been set`);
      const last = await this.aliases.lastPromotionInEffect(tx, model.id, alias);
      if (!last || last.fromVersion === null) {
        throw conflict(
          'nothing_to_roll_back',
          `${alias} of "${name}" (v${current.version}) has no earlier version to roll back to`,
        );
      }
      if (last.toVersion !== current.version) {
        throw conflict(
          'history_mismatch',
          `${alias} of "${name}" points to v${current.version}, but its latest promotion moved it to v${last.toVersion}`,
        );
      }
      const target = await this.versions.find(model.id, last.fromVersion, tx);
      if (!target) throw notFound(`model "${name}" has no version ${last.fromVersion}`);
      if (target.status === 'archived') {
        throw conflict(
          'version_archived',
          `${alias} would roll back to v${target.version}, which is archived; promote a version instead`,
        );
      }
      await this.aliases.set(tx, model.id, alias, target.version);
      const reason = `rollback from v${current.version}${input.reason ? `: ${input.reason}` : ''}`;
      const { entry, eventId } = await this.recordDecision(tx, traceparent, model, {
        action: 'rollback',
        alias,
        fromVersion: current.version,
        version: target,
        actor: principal.subject,
        historyReason: input.reason,
        eventReason: reason,
        decision: null,
      });
      await this.aliases.markReverted(tx, last.id, entry.id);
      await this.audit.record(
        principal,
        {
          action: 'model.rollback',
          target: `${name}@${alias}`,
          reason: input.reason,
          details: { version: target.version, previousVersion: current.version },
        },
        tx,
      );
      return {
        outcome: 'rolled_back',
        model: name,
        alias,
        version: target.version,
        previousVersion: current.version,
        reason,
        decision: null,
        historyId: entry.id,
        eventId,
      };
    });
    registryMetrics.promotions.inc({ alias, outcome: view.outcome });
    this.relay.kick();
    this.logger.info(
      {
        model: name,
        alias,
        version: view.version,
        previousVersion: view.previousVersion,
        principal: principal.subject,
      },
      'alias rolled back',
    );
    return view;
  }

  /**
   * A decision on an alias, in the caller's transaction: its history row and its event in the outbox
   * (PROMOTED for a move, PROMOTION_REJECTED for a refusal), with the policy's verdict when one applied.
   */
  private async recordDecision(
    tx: PoolClient,
    traceparent: string | undefined,
    model: { id: string; tenantId: string; name: string; kind: ModelKindName },
    d: {
      action: AliasAction;
      alias: ModelAlias;
      fromVersion: number | null;
      version: { version: number; metrics: Record<string, number> };
      actor: string;
      historyReason: string;
      eventReason: string;
      decision: PromotionDecision | null;
    },
  ): Promise<{ entry: AliasHistoryRow; eventId: string }> {
    const eventId = randomUUID();
    const entry = await this.aliases.record(tx, {
      modelId: model.id,
      alias: d.alias,
      action: d.action,
      fromVersion: d.fromVersion,
      toVersion: d.version.version,
      actor: d.actor,
      reason: d.historyReason,
      decision: d.decision,
      eventId,
    });
    const moved = d.action === 'promote' || d.action === 'rollback';
    await this.outbox.enqueue(tx, {
      eventId,
      key: model.name,
      tenantId: model.tenantId,
      traceparent,
      payload: modelEventJson({
        eventId,
        type: EVENT_OF_ACTION[d.action],
        tenantId: model.tenantId,
        model: model.name,
        kind: model.kind,
        version: d.version.version,
        alias: d.alias,
        previousVersion: d.fromVersion,
        metrics: d.version.metrics,
        ...(moved ? { artifactUri: this.registry.artifactUri(model.name, d.version.version) } : {}),
        reason: d.eventReason,
        decision: d.decision,
      }),
    });
    return { entry, eventId };
  }
}

/**
 * A version as the policy sees it: its metrics, the held-out sample they were measured on, and the
 * champion's figures on that same held-out data when its training job measured them (lineage
 * `championVersion`/`championMetrics`, written by the training service).
 */
function policyCandidate(v: {
  version: number;
  metrics: Record<string, number>;
  lineage: Record<string, unknown>;
}): PolicyCandidate {
  const { testExamples, championVersion, championMetrics } = v.lineage;
  return {
    version: v.version,
    metrics: v.metrics,
    ...(typeof testExamples === 'number' ? { sample: testExamples } : {}),
    ...(typeof championVersion === 'number' && championMetrics && typeof championMetrics === 'object'
      ? {
          championOnHoldout: { version: championVersion, metrics: championMetrics as Record<string, number> },
        }
      : {}),
  };
}

function historyView(r: AliasHistoryRow): AliasHistoryView {
  return {
    id: r.id,
    alias: r.alias,
    action: r.action,
    fromVersion: r.fromVersion,
    toVersion: r.toVersion,
    actor: r.actor,
    reason: r.reason,
    decision: r.decision,
    revertedBy: r.revertedBy,
    eventId: r.eventId,
    at: r.at.toISOString(),
  };
}
