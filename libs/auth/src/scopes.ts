// The permissions a credential can carry, one per kind of operation on the public APIs.
export const SCOPES = [
  'news:write',
  'interactions:write',
  'catalog:write',
  'sentiment:read',
  'sentiment:feedback',
  'alerts:read',
  'alerts:admin',
  'webhooks:admin',
  'recs:read',
  'features:read',
  'datasets:read',
  'users:delete',
  'training:write',
  'training:read',
  'models:read',
  'models:admin',
] as const;

export type Scope = (typeof SCOPES)[number];

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);
