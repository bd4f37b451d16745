// The sentiment monitor's providers and controllers: the news.scored.v1 batch handler and HTTP
// controllers → services (counting, queries, webhooks, live stream) → repositories (Postgres, and
// the Kafka producer through the alert relay).
import { Module } from '@nestjs/common';
import { AlertEventPublisher } from './alert-event.publisher';
import { AlertRelay } from './alert-relay';
import { AlertSignals } from './alert-signals';
import { AlertStreamService } from './alert-stream.service';
import { AlertRepository } from './alert.repository';
import { AlertsController } from './alerts.controller';
import { DashboardController } from './dashboard.controller';
import { Housekeeping } from './housekeeping';
import { OpenApiController } from './openapi.controller';
import { ScoredArticleHandler } from './scored-article.handler';
import { SentimentQueryService } from './sentiment-query.service';
import { SentimentWindowRepository } from './sentiment-window.repository';
import { TickersController } from './tickers.controller';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookRepository } from './webhook.repository';
import { WebhookService } from './webhook.service';
import { WebhooksController } from './webhooks.controller';
import { WindowAggregationService } from './window-aggregation.service';

@Module({
  controllers: [
    ScoredArticleHandler,
    TickersController,
    AlertsController,
    WebhooksController,
    OpenApiController,
    DashboardController,
  ],
  providers: [
    SentimentWindowRepository,
    AlertRepository,
    WebhookRepository,
    AlertEventPublisher,
    AlertSignals,
    WindowAggregationService,
    SentimentQueryService,
    WebhookService,
    AlertRelay,
    WebhookDispatcher,
    AlertStreamService,
    Housekeeping,
  ],
})
export class SentimentMonitorModule {}
