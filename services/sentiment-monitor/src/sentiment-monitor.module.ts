// The sentiment monitor's providers and controllers: the news.scored.v1 batch handler, the
// models.monitoring.v1 handler (the dashboard's drift panel) and HTTP
// controllers → services (counting, rules, model confusion, queries, webhooks, live stream) →
// repositories (Postgres, the model registry, the feature service's feedback, and the Kafka producer
// through the alert relay).
import { Module, type DynamicModule } from '@nestjs/common';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { AlertEventPublisher } from './alert-event.publisher';
import { AlertFeedbackService } from './alert-feedback.service';
import { AlertRulesController } from './alert-rules.controller';
import { AlertRulesRepository } from './alert-rules.repository';
import { AlertRulesService } from './alert-rules.service';
import { AlertRelay } from './alert-relay';
import { AlertSignals } from './alert-signals';
import { AlertStreamService } from './alert-stream.service';
import { AlertRepository } from './alert.repository';
import { AlertsController } from './alerts.controller';
import { DashboardController } from './dashboard.controller';
import { Housekeeping } from './housekeeping';
import { MarketPriorRefresher } from './market-prior.refresher';
import { ModelConfusionService } from './model-confusion.service';
import { ModelMonitoringHandler } from './model-monitoring.handler';
import { ModelSignalsRepository } from './model-signals.repository';
import { ModelsController } from './models.controller';
import { MONITOR_SETTINGS, egressOptions, type MonitorConfig, type MonitorSettings } from './monitor.config';
import { OpenApiController } from './openapi.controller';
import { ScoredArticleHandler } from './scored-article.handler';
import { SentimentFeedbackClient } from './sentiment-feedback.client';
import { SentimentQueryService } from './sentiment-query.service';
import { SentimentWindowRepository } from './sentiment-window.repository';
import { TickersController } from './tickers.controller';
import { WebhookDispatcher } from './webhook-dispatcher';
import { EgressPolicy, systemResolver } from './webhook-egress';
import { WebhookSender } from './webhook-sender';
import { WebhookRepository } from './webhook.repository';
import { WebhookService } from './webhook.service';
import { WebhooksController } from './webhooks.controller';
import { WindowAggregationService } from './window-aggregation.service';

@Module({})
export class SentimentMonitorModule {
  static forRoot(settings: MonitorSettings): DynamicModule {
    return {
      module: SentimentMonitorModule,
      controllers: [
        ScoredArticleHandler,
        ModelMonitoringHandler,
        TickersController,
        AlertsController,
        AlertRulesController,
        WebhooksController,
        OpenApiController,
        ModelsController,
        DashboardController,
      ],
      providers: [
        { provide: MONITOR_SETTINGS, useValue: settings },
        SentimentWindowRepository,
        AlertRepository,
        AlertRulesRepository,
        ModelSignalsRepository,
        WebhookRepository,
        AlertEventPublisher,
        AlertSignals,
        AlertRulesService,
        ModelConfusionService,
        WindowAggregationService,
        SentimentQueryService,
        SentimentFeedbackClient,
        AlertFeedbackService,
        WebhookService,
        {
          provide: EgressPolicy,
          inject: [SERVICE_CONFIG],
          useFactory: (config: MonitorConfig) => new EgressPolicy(egressOptions(config), systemResolver),
        },
        {
          provide: WebhookSender,
          inject: [EgressPolicy, SERVICE_CONFIG],
          useFactory: (policy: EgressPolicy, config: MonitorConfig) =>
            new WebhookSender(policy, config.WEBHOOK_TIMEOUT_MS),
        },
        AlertRelay,
        WebhookDispatcher,
        AlertStreamService,
        MarketPriorRefresher,
        Housekeeping,
      ],
    };
  }
}
