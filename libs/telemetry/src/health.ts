// Liveness, readiness and metrics endpoints. Libraries (db, kafka) register readiness checks in
// the HealthRegistry; the service is ready only when every check passes.
import {
  Controller,
  Get,
  Global,
  Header,
  HttpCode,
  Injectable,
  Module,
  Res,
  type DynamicModule,
} from '@nestjs/common';
import { Public } from '@mercato/auth';
import type { FastifyReply } from 'fastify';
import { metricsRegistry } from './metrics';

export type ReadinessCheck = () => Promise<void>;

@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private draining = false;

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Once draining, readiness fails so load balancers stop sending traffic. */
  markDraining(): void {
    this.draining = true;
  }

  async run(timeoutMs = 2000): Promise<{ ok: boolean; checks: Record<string, string> }> {
    const results: Record<string, string> = {};
    if (this.draining) results.shutdown = 'draining';
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          results[name] = 'ok';
        } catch (err) {
          results[name] = err instanceof Error ? err.message : String(err);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ok: Object.values(results).every((r) => r === 'ok'), checks: results };
  }
}

// Public: probes and scrapers carry no credential; the answers hold no tenant data.
@Public()
@Controller()
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  @Get('healthz/live')
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('healthz/ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const { ok, checks } = await this.registry.run();
    await reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}

@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [HealthController],
      providers: [HealthRegistry],
      exports: [HealthRegistry],
    };
  }
}
