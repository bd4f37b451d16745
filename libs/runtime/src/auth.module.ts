// Nest wiring of authentication for a service (here rather than in libs/auth, which the telemetry
// and db libraries' own imports must not pull in): the `auth` schema migrated at start-up (when the
// service migrates and auth is on), the API key store on the service's pool, the Authenticator (also
// injectable by non-HTTP transports such as gRPC) and the global guard.
import { Global, Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  AUTH_REFUSAL_LISTENER,
  ApiKeyStore,
  AuthGuard,
  Authenticator,
  PostgresRateBuckets,
  migrateAuthSchema,
  type AuthRefusalListener,
  type AuthSettings,
} from '@mercato/auth';
import { Database } from '@mercato/db';
import type { Logger } from '@mercato/telemetry';

export interface AuthModuleOptions {
  settings: AuthSettings;
  databaseUrl: string;
  migrateOnStart: boolean;
  logger: Logger;
  onRefused?: AuthRefusalListener;
}

const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

class AuthLifecycle implements OnModuleInit {
  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthModuleOptions) {}

  async onModuleInit(): Promise<void> {
    if (this.options.settings.mode === 'required' && this.options.migrateOnStart)
      await migrateAuthSchema(this.options.databaseUrl, this.options.logger);
  }
}

@Global()
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_OPTIONS, useValue: options },
        AuthLifecycle,
        { provide: AUTH_REFUSAL_LISTENER, useValue: options.onRefused ?? (() => undefined) },
        { provide: ApiKeyStore, inject: [Database], useFactory: (db: Database) => new ApiKeyStore(db) },
        {
          provide: Authenticator,
          inject: [ApiKeyStore, Database],
          useFactory: (keys: ApiKeyStore, db: Database) =>
            new Authenticator({
              ...options.settings,
              keys,
              ...(options.settings.sharedRateLimits
                ? {
                    rateBuckets: new PostgresRateBuckets(db),
                    onRateBucketsError: (err: unknown) =>
                      options.logger.warn(
                        { err: (err as Error).message },
                        'shared rate limits unreachable; this replica limits on its own meanwhile',
                      ),
                  }
                : {}),
            }),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [Authenticator, ApiKeyStore],
    };
  }
}
