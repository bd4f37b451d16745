// The hot path of GET /v1/users/{userId}/recommendations, served by Fastify without Nest's generic
// request pipeline. Nest still declares the route (RecommendationsController: path, scope, OpenAPI
// document), but when Nest hands the route to Fastify its handler is replaced by one that does the
// same steps directly: the Authenticator with the scopes the controller declares (API key/JWT,
// tenant, rate limit; refusals counted and shaped exactly as AuthGuard does), then the controller's
// own method (zod validation, the service, its error mapping), the controller's HttpExceptions as
// Nest's exception filter would send them, and a response schema whose compiled serializer
// (instead of JSON.stringify) writes an answer's body once; a cached answer keeps it. Answers are
// written in batches (reply-batch.ts). Profiling put Nest's router, guard, reflector and parameter
// decorators at several times the cost of the ranking on a cached answer.
// The hook is installed when this provider is built, because Nest registers its routes with Fastify
// before any onModuleInit runs.
import {
  AUTH_REFUSAL_LISTENER,
  AuthError,
  Authenticator,
  SCOPES_METADATA,
  type AuthRefusalListener,
  type Principal,
  type Scope,
} from '@mercato/auth';
import { z } from '@mercato/config';
import { SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { HttpException, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { RecommendationsController } from './recommendations.controller';
import { RecommendationsView } from './recommendations.dto';
import { ReplyBatch } from './reply-batch';

const JSON_UTF8 = 'application/json; charset=utf-8';

/** The route as Nest registers it with Fastify. */
export const RECOMMENDATIONS_URL = '/v1/users/:userId/recommendations';

/** The 200 body's JSON schema, which Fastify compiles into a serializer (fast-json-stringify). */
export function responseSchema(): Record<string, unknown> {
  const { $schema: _, ...schema } = z.toJSONSchema(RecommendationsView, {
    target: 'draft-07',
    io: 'output',
  }) as Record<string, unknown>;
  return schema;
}

interface RouteRequest {
  Params: { userId: string };
  Querystring: Record<string, unknown>;
}

@Injectable()
export class RecommendationsRoute implements OnModuleInit {
  private readonly scopes: readonly Scope[];
  private readonly onRefused: AuthRefusalListener;
  private controller!: RecommendationsController;
  private readonly replies = new ReplyBatch(JSON_UTF8, (err) =>
    this.logger.error({ err }, 'sending a recommendations reply failed'),
  );

  constructor(
    adapterHost: HttpAdapterHost,
    private readonly moduleRef: ModuleRef,
    private readonly authenticator: Authenticator,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    const handler = Object.getOwnPropertyDescriptor(RecommendationsController.prototype, 'recommend')
      ?.value as object;
    const scopes = Reflect.getMetadata(SCOPES_METADATA, handler) as Scope[] | undefined;
    // AuthGuard refuses a route that declares no scopes; this one must never be served without them.
    if (!scopes || scopes.length === 0)
      throw new Error('RecommendationsController.recommend declares no scopes (RequireScopes)');
    this.scopes = scopes;
    // The global AuthModule provides the listener without exporting it (only its guard uses it).
    this.onRefused = moduleRef.get<AuthRefusalListener>(AUTH_REFUSAL_LISTENER, { strict: false });
    const fastify = adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRoute', (route: RouteOptions) => {
      if (route.url !== RECOMMENDATIONS_URL) return;
      route.handler = (request, reply) => {
        this.handle(request as FastifyRequest<RouteRequest>, reply as FastifyReply);
      };
      route.schema = { ...route.schema, response: { 200: responseSchema() } };
    });
  }

  /** Controllers are built after providers, so the controller is looked up once everything exists. */
  onModuleInit(): void {
    this.controller = this.moduleRef.get(RecommendationsController);
  }

  /**
   * Sends the answer (Fastify's callback style: nothing is returned). Synchronously when
   * authentication can answer at once (a cached API key), so a cached answer costs no promise; only a
   * key whose record must be fetched, or a JWT, waits.
   */
  handle(request: FastifyRequest<RouteRequest>, reply: FastifyReply): void {
    let principal: Principal | Promise<Principal>;
    try {
      principal = this.authenticator.authenticateNow(request.headers, this.scopes);
    } catch (err) {
      this.refuse(reply, err);
      return;
    }
    if (principal instanceof Promise)
      void principal.then(
        (caller) => this.answer(request, reply, caller),
        (err: unknown) => this.refuse(reply, err),
      );
    else this.answer(request, reply, principal);
  }

  private answer(request: FastifyRequest<RouteRequest>, reply: FastifyReply, principal: Principal): void {
    try {
      // The route's compiled response serializer writes JSON text.
      const body = this.controller.recommendJson(
        principal,
        request.params.userId,
        request.query,
        (view) => reply.serialize(view) as string,
      );
      this.replies.send(reply, body);
    } catch (err) {
      if (!(err instanceof HttpException)) {
        this.internalError(reply, err);
        return;
      }
      const body = err.getResponse();
      if (err.getStatus() === 503) void reply.header('retry-after', '1');
      void reply
        .code(err.getStatus())
        .send(typeof body === 'string' ? { statusCode: err.getStatus(), message: body } : body);
    }
  }

  /** An authentication refusal, counted and shaped as AuthGuard does. */
  private refuse(reply: FastifyReply, err: unknown): void {
    if (!(err instanceof AuthError)) {
      this.internalError(reply, err);
      return;
    }
    this.onRefused(err.reason);
    if (err.challenge) void reply.header('www-authenticate', err.challenge);
    if (err.retryAfterS) void reply.header('retry-after', String(err.retryAfterS));
    void reply.code(err.status).send(err.body());
  }

  /** What Nest's exception filter does with an unexpected error: log it, answer a bare 500. */
  private internalError(reply: FastifyReply, err: unknown): void {
    this.logger.error({ err }, 'recommendations request failed');
    void reply.code(500).send({ statusCode: 500, message: 'Internal server error' });
  }
}
