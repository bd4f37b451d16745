// Aliases: promotion (optionally gated by a promotion policy — the request's, else the kind's
// configured default), rollback through the history of promotions, resolution and history. Every
// move commits together with its history row, its audit entry and its PROMOTED event in the outbox,
// and so does every refusal (a 'rejected' history row and a PROMOTION_REJECTED event, with the
// verdict's figures); the history's and the audit log's actor is the authenticated principal, never
// a request field.
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { Inject, Injectable } from '@nestjs/common';
import { ModelEventType, type ModelAlias, type ModelKindName } from '@mercato/contracts';
import type { Principal } from '@mercato/auth';
import { AuditLog, Database } from '@mercato/db';
import { conflict, notFound, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import type { PromoteInput, RollbackInput } from './alias.dto';
import { AliasRepository, type AliasHistoryRow } from './alias.repository';
import { modelEventJson } from './model-events';
import { ModelRegistryService, currentTraceparent } from './model-registry.service';
import { ModelRepository } from './model.repository';
import { ModelVersionRepository } from './model-version.repository';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository } from './outbox.repository';
import { evaluatePromotion, type PolicyCandidate, type PromotionPolicy } from './promotion-policy';
import type { RegistryConfig } from './registry-config';
import { registryMetrics } from './registry-metrics';
import type { AliasHistoryView, AliasView, PromotionView } from './registry.views';

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
    const champion = current ? await this.versions.find(model.id, current.version, tx) : undefined;
    const policy = input.policy ?? (input.force ? undefined : this.defaultPolicy(model.kind));
    const decision = evaluatePromotion(
      policy,
      policyCandidate(challenger),
      champion && { version: champion.version, metrics: champion.metrics },
      alias,
    );
    const previousVersion = current?.version ?? null;
    if (!decision.promote) {
      const eventId = randomUUID();
      const entry = await this.aliases.record(tx, {
        modelId: model.id,
        alias,
        action: 'rejected',
        fromVersion: previousVersion,
        toVersion: challenger.version,
        actor: principal.subject,
        reason: input.reason,
        decision,
        eventId,
      });
      await this.outbox.enqueue(tx, {
        eventId,
        key: name,
        tenantId: model.tenantId,
        traceparent,
        payload: modelEventJson({
          eventId,
          type: ModelEventType.PROMOTION_REJECTED,
          tenantId: model.tenantId,
          model: name,
          kind: model.kind,
          version: challenger.version,
          alias,
          previousVersion,
          metrics: challenger.metrics,
          reason: decision.reason,
          decision,
        }),
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
    const eventId = randomUUID();
    await this.aliases.set(tx, model.id, alias, challenger.version);
    const entry = await this.aliases.record(tx, {
      modelId: model.id,
      alias,
      action: 'promote',
      fromVersion: previousVersion,
      toVersion: challenger.version,
      actor: principal.subject,
      reason: input.reason,
      decision: policy ? decision : null,
      eventId,
    });
    await this.outbox.enqueue(tx, {
      eventId,
      key: name,
      tenantId: model.tenantId,
      traceparent,
      payload: modelEventJson({
        eventId,
        type: ModelEventType.PROMOTED,
        tenantId: model.tenantId,
        model: name,
        kind: model.kind,
        version: challenger.version,
        alias,
        previousVersion,
        metrics: challenger.metrics,
        artifactUri: this.registry.artifactUri(name, challenger.version),
        reason: input.reason || decision.reason,
        decision: policy ? decision : null,
      }),
    });
    return {
      ...base,
      outcome: 'promoted',
      version: challenger.version,
      previousVersion,
      reason: input.reason || decision.reason,
      decision: policy ? decision : null,
      historyId: entry.id,
      eventId,
    };
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
      const eventId = randomUUID();
      await this.aliases.set(tx, model.id, alias, target.version);
      const entry = await this.aliases.record(tx, {
        modelId: model.id,
        alias,
        action: 'rollback',
        fromVersion: current.version,
        toVersion: target.version,
        actor: principal.subject,
        reason: input.reason,
        decision: null,
        eventId,
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
      const reason = `rollback from v${current.version}${input.reason ? `: ${input.reason}` : ''}`;
      await this.outbox.enqueue(tx, {
        eventId,
        key: name,
        tenantId: model.tenantId,
        traceparent,
        payload: modelEventJson({
          eventId,
          type: ModelEventType.PROMOTED,
          tenantId: model.tenantId,
          model: name,
          kind: model.kind,
          version: target.version,
          alias,
          previousVersion: current.version,
          metrics: target.metrics,
          artifactUri: this.registry.artifactUri(name, target.version),
          reason,
        }),
      });
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
