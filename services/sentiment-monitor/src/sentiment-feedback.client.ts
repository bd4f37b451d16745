// The feature service's POST /v1/sentiment/feedback, called on behalf of the analyst at the
// dashboard: with the analyst's own credential, so the feature service checks that key's scope and
// tenant itself and records who corrected the label, and the tenant acted for (a platform key's,
// or the development tenant when AUTH_MODE=off). The feature service owns the feedback rules (a
// label outside the model's classes is 400, an article not in the tenant is 404): its 4xx answers
// are passed back as they are. The only code in the monitor that talks to the feature service.
import { authHeaders } from '@mercato/auth';
import {
  DomainError,
  SERVICE_CONFIG,
  unavailable,
  type DomainErrorKind,
  type ErrorBody,
} from '@mercato/runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { MonitorConfig } from './monitor.config';

/** What the feature service answers with a stored correction. */
export interface StoredFeedback {
  feedbackId: string;
  articleId: string | null;
  text: string;
  label: string;
  submittedBy: string;
  submittedAt: string;
}

const KIND_OF_STATUS: Partial<Record<number, DomainErrorKind>> = {
  400: 'invalid',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
};

const TIMEOUT_MS = 10_000;

@Injectable()
export class SentimentFeedbackClient {
  constructor(@Inject(SERVICE_CONFIG) private readonly config: MonitorConfig) {}

  async submit(
    caller: { credential: string | undefined; tenantId: string },
    body: {
      articleId: string;
      label: string;
      served?: { label: string; model: string; version: number };
    },
  ): Promise<StoredFeedback> {
    let res: Response;
    try {
      res = await fetch(new URL('/v1/sentiment/feedback', this.config.FEATURE_URL), {
        method: 'POST',
        headers: { ...authHeaders(caller.credential, caller.tenantId), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw unavailable(`the feature service is unreachable (${(err as Error).message})`);
    }
    const answer = (await res.json().catch(() => undefined)) as unknown;
    if (res.ok) return answer as StoredFeedback;
    const kind = KIND_OF_STATUS[res.status];
    const error = answer as Partial<ErrorBody> | undefined;
    if (kind && error?.errors)
      throw new DomainError(kind, error.error ?? 'invalid_request', error.errors, {}, error.message);
    throw unavailable(`the feature service answered ${res.status} to the correction`);
  }
}
