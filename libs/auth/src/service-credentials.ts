// The credential a service (or the CLI) sends on its calls to other Mercato services: a platform API
// key from MERCATO_SERVICE_API_KEY or the file MERCATO_SERVICE_API_KEY_FILE names (a Kubernetes
// Secret volume). A platform key acts for the tenant named in X-Mercato-Tenant.
import { readSecret } from '@mercato/config';
import { TENANT_HEADER } from './authenticator';

/** Headers for a call to another service: the key (when configured) and the tenant acted for. */
export function authHeaders(key: string | undefined, tenantId?: string): Record<string, string> {
  return {
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...(tenantId ? { [TENANT_HEADER]: tenantId } : {}),
  };
}

/** This service's key for outgoing calls (undefined when none is configured, e.g. AUTH_MODE=off). */
export const serviceApiKey = (env: NodeJS.ProcessEnv = process.env): string | undefined =>
  readSecret('MERCATO_SERVICE_API_KEY', env);
