// The registry's own Prometheus metrics.
import { counter, gauge } from '@mercato/telemetry';

export const registryMetrics = {
  registrations: counter('mercato_model_registry_registrations_total', 'Version registrations by outcome', [
    'outcome',
  ]),
  artifactBytes: counter('mercato_model_registry_artifact_bytes_total', 'Artifact bytes stored', []),
  checksumFailures: counter(
    'mercato_model_registry_artifact_checksum_failures_total',
    'Artifact downloads refused because the stored bytes no longer match their SHA-256',
    ['model'],
  ),
  promotions: counter('mercato_model_registry_promotions_total', 'Alias moves and refusals by outcome', [
    'alias',
    'outcome',
  ]),
  outboxPublished: counter('mercato_model_registry_outbox_published_total', 'Lifecycle events published', []),
  outboxFailures: counter(
    'mercato_model_registry_outbox_failures_total',
    'Failed attempts to publish a lifecycle event (retried)',
    [],
  ),
  outboxPending: gauge('mercato_model_registry_outbox_pending', 'Lifecycle events not yet published', []),
};
