// Nest wiring: a Database for the service's schema, migrated at start-up when asked (the service's
// migrations and the audit log's), registered as a readiness check, and closed last on shutdown
// (after the Kafka consumer has drained); and the service's AuditLog.
import {
  Global,
  Inject,
  Module,
  Optional,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HealthRegistry, type Logger } from '@mercato/telemetry';
import { AuditLog, migrateAuditLog } from './audit';
import { Database } from './database';
import { migrate } from './migrations';

export interface DbModuleOptions {
  url: string;
  schema: string;
  ssl?: boolean;
  poolMax?: number;
  /** Folder of SQL migrations; applied at start-up when migrateOnStart is true. */
  migrationsDir?: string;
  migrateOnStart?: boolean;
  logger: Logger;
}

export const DB_OPTIONS = Symbol('DB_OPTIONS');

class DbLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DB_OPTIONS) private readonly options: DbModuleOptions,
    private readonly db: Database,
    @Optional() private readonly health?: HealthRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.health?.register('postgres', () => this.db.ping());
    if (!this.options.migrateOnStart) return;
    if (this.options.migrationsDir) {
      await migrate({
        url: this.options.url,
        schema: this.options.schema,
        dir: this.options.migrationsDir,
        logger: this.options.logger,
      });
    }
    await migrateAuditLog(this.options.url, this.options.schema, this.options.logger);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}

@Global()
@Module({})
export class DbModule {
  static forRoot(options: DbModuleOptions): DynamicModule {
    return {
      module: DbModule,
      providers: [
        { provide: DB_OPTIONS, useValue: options },
        {
          provide: Database,
          useFactory: () =>
            new Database({
              url: options.url,
              schema: options.schema,
              ssl: options.ssl,
              poolMax: options.poolMax,
              logger: options.logger,
            }),
        },
        { provide: AuditLog, inject: [Database], useFactory: (db: Database) => new AuditLog(db) },
        DbLifecycle,
      ],
      exports: [Database, AuditLog],
    };
  }
}
