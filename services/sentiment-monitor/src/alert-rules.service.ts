// A tenant's surge rules: the deployment's rules until the tenant sets its own through the API,
// then the latest version of its document laid over the deployment's defaults. Counting reads the
// latest version of each tenant in the batch (a change applies from the next batch, in every
// replica, without a restart) and keeps parsed books by version. A change is validated in full —
// every bad field named — and stored as a new version; windows and evidence are never touched by it.
import type { Principal } from '@mercato/auth';
import { AuditLog } from '@mercato/db';
import { conflict, invalidInput, notFound, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { ruleBook, rulesView, validateRules, type AlertRuleBook, type RulesView } from './alert-rules';
import { AlertRulesRepository, type StoredRules } from './alert-rules.repository';
import { MONITOR_SETTINGS, type MonitorConfig, type MonitorSettings } from './monitor.config';

export interface RulesState {
  /** 0 while the tenant uses the deployment's rules. */
  version: number;
  /** The tenant's document as it was set; null for the deployment's rules. */
  document: unknown;
  effective: { defaults: RulesView; tickers: Record<string, RulesView> };
  updatedBy: string | null;
  updatedAt: number | null;
}

@Injectable()
export class AlertRulesService {
  private readonly books = new LRUCache<string, AlertRuleBook>({ max: 10_000 });
  private readonly windowSizes: string[];

  constructor(
    private readonly repository: AlertRulesRepository,
    private readonly audit: AuditLog,
    @Inject(MONITOR_SETTINGS) private readonly settings: MonitorSettings,
    @Inject(SERVICE_CONFIG) config: MonitorConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.windowSizes = config.WINDOWS.map((w) => w.label);
  }

  /** The rule book of each tenant, as of now. */
  async booksFor(tenantIds: readonly string[]): Promise<Map<string, AlertRuleBook>> {
    const latest = await this.repository.latestVersions(tenantIds);
    const books = new Map<string, AlertRuleBook>();
    for (const tenantId of tenantIds) {
      const version = latest.get(tenantId);
      books.set(tenantId, version === undefined ? this.settings.rules : await this.bookAt(tenantId, version));
    }
    return books;
  }

  async current(tenantId: string): Promise<RulesState> {
    return this.stateOf(await this.repository.get(tenantId));
  }

  async atVersion(tenantId: string, version: number): Promise<RulesState> {
    const stored = await this.repository.get(tenantId, version);
    if (!stored) throw notFound(`the tenant has no rules version ${version}`, 'version');
    return this.stateOf(stored);
  }

  async versions(tenantId: string, limit: number): Promise<Omit<StoredRules, 'document'>[]> {
    return this.repository.versions(tenantId, limit);
  }

  /**
   * Stores the document as the caller's tenant's next version, audited in the same transaction (400
   * naming each bad field; 409 when `expected` is stale).
   */
  async replace(principal: Principal, document: unknown, expected?: number): Promise<RulesState> {
    const { tenantId, subject: actor } = principal;
    this.build(document, 0, (issues) => {
      throw invalidInput(
        issues.map((i) => ({ field: i.field === '(rules)' ? '(body)' : i.field, reason: i.reason })),
      );
    });
    const result = await this.repository.append(tenantId, document, actor, expected, (tx, stored) =>
      this.audit.record(
        principal,
        { action: 'rules.replace', target: 'alert rules', details: { version: stored.version } },
        tx,
      ),
    );
    if ('conflict' in result)
      throw conflict('rules_changed', `the rules are at version ${result.conflict}, not ${expected}`, {
        version: result.conflict,
      });
    this.logger.info({ tenantId, version: result.stored.version, actor }, 'alert rules changed');
    return this.stateOf(result.stored);
  }

  private async bookAt(tenantId: string, version: number): Promise<AlertRuleBook> {
    const cacheKey = `${tenantId}\u0000${version}`;
    const held = this.books.get(cacheKey);
    if (held) return held;
    const stored = await this.repository.get(tenantId, version);
    const book = stored ? this.bookOf(stored) : this.settings.rules;
    this.books.set(cacheKey, book);
    return book;
  }

  /**
   * A stored document's book. One that no longer validates (WINDOWS changed since it was set) gives
   * way to the deployment's rules, loudly, until the tenant sets valid rules again.
   */
  private bookOf(stored: StoredRules): AlertRuleBook {
    return this.build(stored.document, stored.version, (issues) => {
      this.logger.error(
        { tenantId: stored.tenantId, version: stored.version, issues },
        'stored alert rules no longer valid: the deployment rules apply',
      );
      return this.settings.rules;
    });
  }

  private build(
    document: unknown,
    version: number,
    onInvalid: (issues: { field: string; reason: string }[]) => AlertRuleBook,
  ): AlertRuleBook {
    const validated = validateRules(document, this.windowSizes);
    if (!validated.ok) return onInvalid(validated.issues);
    const built = ruleBook(validated.document, this.settings.rules.defaults, version);
    return built.ok ? built.book : onInvalid(built.issues);
  }

  private stateOf(stored: StoredRules | undefined): RulesState {
    const book = stored ? this.bookOf(stored) : this.settings.rules;
    return {
      version: stored?.version ?? 0,
      document: stored?.document ?? null,
      effective: {
        defaults: rulesView(book.defaults),
        tickers: Object.fromEntries(book.tickers.map((t) => [t, rulesView(book.for(t))])),
      },
      updatedBy: stored?.createdBy ?? null,
      updatedAt: stored?.createdAt ?? null,
    };
  }
}
