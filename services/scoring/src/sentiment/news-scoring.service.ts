// Scores consumed batches of enriched articles: the articles of each tenant with that tenant's model
// (its own production version, else the platform's), one lease per tenant for the whole batch (a swap
// takes effect from the next batch), inference in bounded slices, one ScoredArticle per (article,
// ticker) naming the model and its owner. Until a tenant's articles have a model the batch is held,
// uncommitted, so the news waits in Kafka; nothing is dropped, dead-lettered or scored by nothing.
import { normalizeTickers, type EnrichedArticle } from '@mercato/contracts';
import { DrainInterruptedError, type DecodedRecord, type KafkaEventContext } from '@mercato/kafka';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ScoringConfig } from '../scoring.config';
import type { Lease } from './model-slot';
import { PredictionDriftService } from './prediction-drift.service';
import { ScoredArticleRepository } from './scored-article.repository';
import { scoringText, toScoredRecords, type ScoringInput } from './scored-article.mapper';
import { SentimentInference } from './sentiment-inference';
import type { ServingModel } from './sentiment-model.loader';
import { SentimentModelService } from './sentiment-model.service';
import { sentimentMetrics } from './sentiment-metrics';

/** How often a held batch heartbeats (the group's session timeout is 30 s). */
const HOLD_HEARTBEAT_MS = 3_000;

@Injectable()
export class NewsScoringService implements OnModuleDestroy {
  private stopping = false;
  private wakeHolders: (() => void)[] = [];

  constructor(
    private readonly models: SentimentModelService,
    private readonly inference: SentimentInference,
    private readonly scored: ScoredArticleRepository,
    private readonly drift: PredictionDriftService,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** Runs before the consumer drains: held batches give up so the drain does not wait for a model. */
  onModuleDestroy(): void {
    this.stopping = true;
    for (const wake of this.wakeHolders) wake();
    this.wakeHolders = [];
  }

  async scoreBatch(records: DecodedRecord<EnrichedArticle>[], ctx: KafkaEventContext): Promise<void> {
    sentimentMetrics.batchArticles.observe(records.length);
    const inputs: (ScoringInput & { text: string })[] = [];
    for (const { value, record } of records) {
      const { tickers, rejected } = normalizeTickers(value.tickers);
      if (rejected.length > 0) {
        sentimentMetrics.droppedTickers.inc({ reason: 'invalid_ticker' }, rejected.length);
        this.logger.warn(
          {
            articleId: value.articleId,
            eventId: record.eventId,
            tickers: rejected,
            reason: 'invalid_ticker',
          },
          'tickers of an enriched article left out of scoring: no ticker under the contract',
        );
      }
      if (tickers.length === 0) {
        sentimentMetrics.skippedArticles.inc({ reason: 'no_tickers' });
        continue;
      }
      const text = scoringText(value);
      if (!text) {
        sentimentMetrics.skippedArticles.inc({ reason: 'no_text' });
        continue;
      }
      const tenantId = value.tenantId || record.tenantId || this.config.TENANT_ID;
      inputs.push({ eventId: record.eventId, tenantId, article: value, text });
    }
    if (inputs.length === 0) return;

    const byTenant = new Map<string, typeof inputs>();
    for (const input of inputs) {
      const group = byTenant.get(input.tenantId);
      if (group) group.push(input);
      else byTenant.set(input.tenantId, [input]);
    }
    for (const [tenantId, group] of byTenant) await this.scoreTenant(tenantId, group, ctx);
  }

  private async scoreTenant(
    tenantId: string,
    inputs: (ScoringInput & { text: string })[],
    ctx: KafkaEventContext,
  ): Promise<void> {
    const lease = await this.leaseOrHold(tenantId, ctx, inputs.length);
    try {
      const serving = lease.model;
      const labels = { model: serving.name, version: String(serving.version) };
      const step = this.config.SENTIMENT_PREDICT_BATCH;
      for (let i = 0; i < inputs.length; i += step) {
        const chunk = inputs.slice(i, i + step);
        const texts = chunk.map((c) => c.text);
        const scores = await this.inference.score(serving.model, texts, 'stream');
        const scoredAt = new Date();
        const out = chunk.flatMap((input, k) =>
          toScoredRecords(input, scores[k] as (typeof scores)[number], serving, scoredAt),
        );
        await this.scored.publish(out);
        sentimentMetrics.scoredRecords.inc(labels, out.length);
        await this.drift.observe(tenantId, serving, texts, scores);
        if (i + step < inputs.length) await this.keepAlive(ctx);
      }
    } finally {
      lease.release();
    }
  }

  /** A long batch keeps its group membership; a failed heartbeat (a rebalance) only means redelivery. */
  private async keepAlive(ctx: KafkaEventContext): Promise<void> {
    try {
      await ctx.heartbeat();
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'heartbeat during a batch failed');
    }
  }

  private async leaseOrHold(
    tenantId: string,
    ctx: KafkaEventContext,
    articles: number,
  ): Promise<Lease<ServingModel>> {
    const first = await this.models.acquireFor(tenantId);
    if (first) return first;
    const { topic, partition, offset } = ctx.record;
    this.logger.info(
      { topic, partition, offset, articles, tenantId },
      'no production sentiment model yet: holding the batch uncommitted',
    );
    sentimentMetrics.waitingBatches.inc();
    const installed = this.models.whenInstalled(tenantId);
    try {
      for (;;) {
        if (this.stopping) throw new DrainInterruptedError();
        await this.waitForModel(installed);
        const lease = await this.models.acquireFor(tenantId);
        if (lease) return lease;
        if (this.stopping) throw new DrainInterruptedError();
        try {
          await ctx.heartbeat();
        } catch (err) {
          // The group is rebalancing: give the batch back uncommitted rather than stall the group.
          this.logger.info({ topic, partition, err: (err as Error).message }, 'releasing a held batch');
          throw new DrainInterruptedError();
        }
      }
    } finally {
      sentimentMetrics.waitingBatches.dec();
    }
  }

  /** Resolves when a model is installed, the service stops, or it is time to heartbeat. */
  private async waitForModel(installed: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    try {
      await Promise.race([
        installed,
        new Promise<void>((resolve) => {
          wake = resolve;
          this.wakeHolders.push(resolve);
          timer = setTimeout(resolve, HOLD_HEARTBEAT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.wakeHolders = this.wakeHolders.filter((w) => w !== wake);
    }
  }
}
