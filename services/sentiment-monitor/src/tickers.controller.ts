// HTTP: the sentiment series of one ticker, and tickers ranked by their current negative surge.
import { ErrorResponses, JsonResponse, parseInput, QueryParams, ValidParam } from '@mercato/runtime';
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { rankingQuery, seriesQuery, Ticker } from './api.dto';
import { RankingView, SeriesView, type RankedTickerView } from './api.views';
import { SentimentQueryService } from './sentiment-query.service';

// The documented query shapes use the default windows; requests are checked against the configured ones.
const DOC_SIZES = ['5m', '1h'];

@ApiTags('tickers')
@Controller('v1/tickers')
export class TickersController {
  private readonly rankingQuery;
  private readonly seriesQuery;

  constructor(private readonly query: SentimentQueryService) {
    this.rankingQuery = rankingQuery(query.windowSizes);
    this.seriesQuery = seriesQuery(query.windowSizes);
  }

  @RequireScopes('sentiment:read')
  @Get()
  @ApiOperation({
    summary: 'Tickers ranked by current negative surge',
    description:
      'Each ticker’s latest window of the size, with the surge test’s negative and positive readings ' +
      '(strongest evidence while the window was open, the threshold, the baseline band), highest ' +
      'negative evidence first.',
  })
  @QueryParams(rankingQuery(DOC_SIZES))
  @JsonResponse(200, 'ranked tickers', RankingView)
  @ErrorResponses([400, 'unknown window or bad limit'])
  async ranking(
    @CurrentPrincipal() principal: Principal,
    @Query() query: unknown,
  ): Promise<{ window: string; items: RankedTickerView[] }> {
    const q = parseInput(this.rankingQuery, query, '(query)');
    return { window: q.window, items: await this.query.ranking(principal.tenantId, q) };
  }

  @RequireScopes('sentiment:read')
  @Get(':ticker/sentiment')
  @ApiOperation({
    summary: 'Sentiment windows of a ticker',
    description:
      'Event-time windows (by published_at) with counts per label, shares, mean probabilities, volume and ' +
      'the surge test’s readings, oldest first; without from/to, the latest `limit` windows. `totals` reconciles what was ' +
      'counted and what was too late.',
  })
  @ApiParam({ name: 'ticker' })
  @QueryParams(seriesQuery(DOC_SIZES))
  @JsonResponse(200, 'the series', SeriesView)
  @ErrorResponses([400, 'bad ticker, window, from/to or limit'])
  async series(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('ticker', Ticker) ticker: string,
    @Query() query: unknown,
  ): Promise<SeriesView> {
    const q = parseInput(this.seriesQuery, query, '(query)');
    return this.query.series(principal.tenantId, ticker, q);
  }
}
