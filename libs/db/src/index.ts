export { Database, type DatabaseOptions, type Queryable } from './database';
export { migrate, type MigrateOptions } from './migrations';
export { DbModule, type DbModuleOptions } from './db.module';
export { relayOutbox, type Outbox, type PublishOutcome, type RelayOutcome } from './outbox';
export {
  AuditLog,
  AUDIT_MIGRATIONS_DIR,
  migrateAuditLog,
  readAuditLog,
  type AuditActor,
  type AuditEntry,
  type AuditFilter,
  type AuditRecord,
} from './audit';
