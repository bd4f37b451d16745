// HTTP: GET /v1/users/{userId}/recommendations (top-K for the caller's user) and
// GET /v1/models/recommender (the versions this replica serves for the caller's tenant).
//
// `recommend` is served by Fastify directly, without Nest's generic request pipeline: profiling put
// Nest's router, guard, reflector and parameter decorators at several times the cost of the ranking
// on a cached answer. Nest still declares the route (path, scope, OpenAPI document); when Nest hands
// it to Fastify, the `onRoute` hook installed in the constructor (controllers are built before Nest
// registers routes) swaps Nest's handler for `recommend` itself, with a response schema whose
// compiled serializer writes an answer's body once (a cached answer keeps it). `recommend` does what
// the pipeline would: the Authenticator with the scopes declared here (API key/JWT, tenant, rate
// limit; refusals counted and shaped as AuthGuard does), zod validation, the service, and errors
// answered as the service's exception filter does. Answers are written in batches (reply-batch.ts).
// A sharded replica (RECS_SHARDS > 1) forwards the requests of tenants it does not hold to the
// replica that does, after authenticating them (the tenant is the principal's), and relays its answer.
import {
  AUTH_REFUSAL_LISTENER,
  AuthError,
  Authenticator,
  CurrentPrincipal,
  RequireScopes,
  SCOPES_METADATA,
  type AuthRefusalListener,
  type Principal,
  type Scope,
} from '@mercato/auth';
import { z } from '@mercato/config';
import { ErrorResponses, JsonResponse, SERVICE_LOGGER, errorAnswerOf, parseInput } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { RecommendationsQuery, RecommendationsView } from './recommendations.dto';
import { RecommendationsService } from './recommendations.service';
import { RecommenderModelsService, type AliasStatus, type RecsAlias } from './recommender-models.service';
import { ReplyBatch } from './reply-batch';
import { SHARD_HEADER, ShardUnavailableError, TenantShards } from './tenant-shards';

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

type RecommendationsRequest = FastifyRequest<{
  Params: { userId: string };
  Querystring: Record<string, unknown>;
}>;

@ApiTags('recommendations')
@Controller('v1')
export class RecommendationsController {
  private readonly scopes: readonly Scope[];
  private readonly onRefused: AuthRefusalListener;
  private readonly replies = new ReplyBatch(JSON_UTF8, (err) =>
    this.logger.error({ err }, 'sending a recommendations reply failed'),
  );

  constructor(
    adapterHost: HttpAdapterHost,
    moduleRef: ModuleRef,
    private readonly authenticator: Authenticator,
    private readonly recommendations: RecommendationsService,
    private readonly models: RecommenderModelsService,
    private readonly shards: TenantShards,
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
        this.recommend(request as RecommendationsRequest, reply as FastifyReply);
      };
      route.schema = { ...route.schema, response: { 200: responseSchema() } };
    });
  }

  /**
   * The real handler of the route (see the header). Sends the answer (Fastify's callback style: nothing is returned). Synchronously when
   * authentication can answer at once (a cached API key), so a cached answer costs no promise; only a
   * key whose record must be fetched, or a JWT, waits.
   */
  @Get('users/:userId/recommendations')
  @RequireScopes('recs:read')
  @ApiOperation({
    summary: 'Recommendations for a user',
    description:
      'Top-K available items for the user (your own user id; it is pseudonymized here), from the ' +
      "tenant's production recommender (or the staging one for users in the A/B share). Purchased " +
      'items are never returned. Users without history get popular and trending items.',
  })
  @ApiParam({ name: 'userId', description: 'your user id (1-100 of letters, digits, . _ : @ -)' })
  @ApiQuery({ name: 'k', required: false, description: '1 to 100 (default 10)' })
  @ApiQuery({ name: 'exclude', required: false, description: 'comma-separated: purchased, seen' })
  @ApiQuery({ name: 'category', required: false, description: 'only items of this category' })
  @JsonResponse(200, 'the items, best first, with the model version and the variant', RecommendationsView)
  @ErrorResponses(
    [400, 'invalid user id or query: each field with its reason'],
    [414, 'user id longer than 100 characters'],
    [500, 'ranking failed'],
    [
      503,
      'the replica is still loading its state after a start, or the replica holding the tenant did not answer (Retry-After: 1)',
    ],
  )
  recommend(@Req() request: RecommendationsRequest, @Res() reply: FastifyReply): void {
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

  @Get('models/recommender')
  @RequireScopes('models:read')
  @ApiOperation({
    summary: "The tenant's recommender versions this replica serves",
    description:
      'Per alias (production, staging, shadow): the loaded version, the last refused one, rollbacks.',
  })
  async status(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<Record<RecsAlias, AliasStatus>> {
    if (this.shards.owns(principal.tenantId)) return this.models.status(principal.tenantId);
    const res = await this.shards.forward(principal.tenantId, request.url, request.headers);
    if (res.status !== 200)
      throw new ShardUnavailableError(this.shards.ownerOf(principal.tenantId), `answered ${res.status}`);
    return JSON.parse(res.body.toString('utf8')) as Record<RecsAlias, AliasStatus>;
  }

  private answer(request: RecommendationsRequest, reply: FastifyReply, principal: Principal): void {
    if (!this.shards.owns(principal.tenantId)) {
      void this.relay(request, reply, principal.tenantId);
      return;
    }
    try {
      const input = parseInput(RecommendationsQuery, { ...request.query, userId: request.params.userId });
      // The route's compiled response serializer writes JSON text.
      const body = this.recommendations.recommendJson(
        principal.tenantId,
        input,
        'http',
        (view) => reply.serialize(view) as string,
      );
      this.replies.send(reply, body);
    } catch (err) {
      const refusal = errorAnswerOf(err);
      if (!refusal) {
        this.internalError(reply, err);
        return;
      }
      if (refusal.status === 503) void reply.header('retry-after', '1');
      void reply.code(refusal.status).send(refusal.body);
    }
  }

  /**
   * The owning shard's answer, status and body as it gave them (the body is its serialized view, JSON
   * like every answer of the route), sent with the batch of this loop turn as a local answer is.
   */
  private async relay(request: RecommendationsRequest, reply: FastifyReply, tenantId: string): Promise<void> {
    try {
      const res = await this.shards.forward(tenantId, request.url, request.headers);
      const retryAfter = res.headers['retry-after'];
      if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
      void reply.code(res.status).header(SHARD_HEADER, String(this.shards.ownerOf(tenantId)));
      this.replies.send(reply, res.body);
    } catch (err) {
      const refusal = errorAnswerOf(err);
      if (!refusal) {
        this.internalError(reply, err);
        return;
      }
      void reply.header('retry-after', '1').code(refusal.status).send(refusal.body);
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
