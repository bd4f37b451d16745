// HTTP: alerts (newest first), one alert, the live stream of alerts as server-sent events, and
// label corrections from an alert's evidence (stored by the feature service).
import { z } from '@mercato/config';
import {
  ErrorResponses,
  JsonBody,
  JsonResponse,
  parseInput,
  QueryParams,
  ValidBody,
  ValidParam,
  ValidQuery,
} from '@mercato/runtime';
import { AllowQueryToken, CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Controller, Get, Headers, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AlertsQuery, EvidenceFeedbackBody, Id, LastEventId, StreamQuery } from './api.dto';
import { AlertView, ItemsView, StoredFeedbackView } from './api.views';
import { AlertFeedbackService } from './alert-feedback.service';
import type { StoredFeedback } from './sentiment-feedback.client';
import { AlertStreamService } from './alert-stream.service';
import { SentimentQueryService } from './sentiment-query.service';

@ApiTags('alerts')
@Controller('v1/alerts')
export class AlertsController {
  constructor(
    private readonly query: SentimentQueryService,
    private readonly stream: AlertStreamService,
    private readonly feedback: AlertFeedbackService,
  ) {}

  @RequireScopes('alerts:read')
  @Get()
  @ApiOperation({ summary: 'Alerts, newest first (from/to bound the alert window, in event time)' })
  @QueryParams(AlertsQuery)
  @JsonResponse(200, 'alerts', ItemsView(AlertView))
  @ErrorResponses([400, 'bad ticker, direction, from/to or limit'])
  async list(
    @CurrentPrincipal() principal: Principal,
    @ValidQuery(AlertsQuery) query: z.output<typeof AlertsQuery>,
  ): Promise<{ items: AlertView[] }> {
    return { items: await this.query.listAlerts(principal.tenantId, query) };
  }

  @RequireScopes('alerts:read')
  @AllowQueryToken()
  @Get('stream')
  @ApiOperation({
    summary: 'Live alerts (server-sent events)',
    description:
      'One `alert` event per alert (data: the alert JSON, id: its seq) and a heartbeat comment every ' +
      'SSE_HEARTBEAT_MS. Reconnecting with `Last-Event-ID` (or `lastEventId`) replays the alerts raised since.',
  })
  @ApiProduces('text/event-stream')
  @QueryParams(StreamQuery)
  @ErrorResponses([400, 'bad ticker or Last-Event-ID'])
  async live(
    @CurrentPrincipal() principal: Principal,
    @ValidQuery(StreamQuery) q: z.output<typeof StreamQuery>,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const lastEventId =
      lastEventIdHeader !== undefined && lastEventIdHeader !== ''
        ? parseInput(LastEventId, lastEventIdHeader, 'Last-Event-ID')
        : q.lastEventId;
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // The response is hijacked: a failure can no longer become an error response, only a closed
    // stream (EventSource then reconnects with its Last-Event-ID).
    await this.stream
      .open(reply.raw, { tenantId: principal.tenantId, ticker: q.ticker, lastEventId })
      .catch(() => reply.raw.end());
  }

  @RequireScopes('alerts:read')
  @Get(':alertId')
  @ApiOperation({ summary: 'One alert' })
  @ApiParam({ name: 'alertId', format: 'uuid' })
  @JsonResponse(200, 'the alert', AlertView)
  @ErrorResponses([400, 'malformed id'], [404, 'no such alert'])
  async get(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('alertId', Id) alertId: string,
  ): Promise<AlertView> {
    return this.query.alert(principal.tenantId, alertId);
  }

  @RequireScopes('alerts:read', 'sentiment:feedback')
  @Post(':alertId/feedback')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Correct the sentiment label of an article of the alert’s evidence',
    description:
      'Stored by the feature service (POST /v1/sentiment/feedback) with the caller as the analyst; ' +
      'the next sentiment fine-tune of the tenant trains on it.',
  })
  @ApiParam({ name: 'alertId', format: 'uuid' })
  @JsonBody(EvidenceFeedbackBody)
  @JsonResponse(201, 'stored', StoredFeedbackView)
  @ErrorResponses(
    [400, 'malformed id, or a label outside the model’s classes'],
    [404, 'no such alert, or the article is not in its evidence or not in this tenant'],
    [503, 'the feature service is unreachable'],
  )
  async correct(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('alertId', Id) alertId: string,
    @ValidBody(EvidenceFeedbackBody) body: z.output<typeof EvidenceFeedbackBody>,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<StoredFeedback> {
    // The analyst's own credential goes on to the feature service (the guard has checked its form).
    const credential = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    return this.feedback.correct(principal, credential, alertId, body);
  }
}
