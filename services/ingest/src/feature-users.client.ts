// The feature service's user deletion (DELETE /v1/users/{pseudonym}), called with this service's
// platform key acting for the caller's tenant. The only code in ingest that talks to the feature service.
import { authHeaders } from '@mercato/auth';
import { Inject, Injectable } from '@nestjs/common';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';

export class FeatureUnavailableError extends Error {}

@Injectable()
export class FeatureUsersClient {
  constructor(@Inject(INGEST_SETTINGS) private readonly settings: IngestSettings) {}

  /** Deletes the user's interactions and features; an unknown user is already deleted. */
  async deleteUser(tenantId: string, pseudonym: string): Promise<void> {
    const url = new URL(`/v1/users/${encodeURIComponent(pseudonym)}`, this.settings.featureUrl);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'DELETE',
        headers: authHeaders(this.settings.serviceApiKey, tenantId),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new FeatureUnavailableError(`feature service unreachable (${(err as Error).message})`);
    }
    if (res.ok || res.status === 404) return;
    throw new FeatureUnavailableError(`feature service answered ${res.status}`);
  }
}
