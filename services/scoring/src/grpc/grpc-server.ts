// The gRPC listener (HTTP/2 cleartext on HTTP_HOST:GRPC_PORT) serving RecommendationService and
// SentimentService with connect-node, gRPC protocol only, each call in its caller's trace context
// (grpc-tracing.ts). It starts with the Nest application and drains with it: on shutdown it stops
// accepting connections, sends every session a GOAWAY so clients move elsewhere, lets the calls in
// flight finish, and destroys what is left after SHUTDOWN_TIMEOUT_MS.
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { Authenticator } from '@mercato/auth';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { createServer, type Http2Server, type Http2Session } from 'node:http2';
import { RecommendationsService } from '../recommendations/recommendations.service';
import { TenantShards } from '../recommendations/tenant-shards';
import type { ScoringConfig } from '../scoring.config';
import { TextScoringService } from '../sentiment/text-scoring.service';
import { tracingInterceptor } from './grpc-tracing';
import { recommendationRoutes } from './recommendation.routes';
import { sentimentRoutes } from './sentiment.routes';

@Injectable()
export class GrpcServer implements OnApplicationBootstrap, OnModuleDestroy {
  private server: Http2Server | undefined;
  private readonly sessions = new Set<Http2Session>();

  constructor(
    private readonly recommendations: RecommendationsService,
    private readonly shards: TenantShards,
    private readonly sentiment: TextScoringService,
    private readonly authenticator: Authenticator,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handler = connectNodeAdapter({
      routes: (router) => {
        recommendationRoutes(this.recommendations, this.authenticator, this.shards)(router);
        sentimentRoutes(this.sentiment, this.authenticator)(router);
      },
      interceptors: [tracingInterceptor],
      grpc: true,
      grpcWeb: false,
      connect: false,
    });
    const server = createServer(handler);
    server.on('session', (session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.GRPC_PORT, this.config.HTTP_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.info({ host: this.config.HTTP_HOST, port: this.config.GRPC_PORT }, 'gRPC listening');
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const session of this.sessions) session.close();
    const timer = setTimeout(() => {
      for (const session of this.sessions) session.destroy();
    }, this.config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    await closed;
    clearTimeout(timer);
    this.logger.info('gRPC drained');
  }
}
