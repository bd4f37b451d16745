// The measured confusion of each model version that scores records, read from the model registry
// (the version's `confusion_<actual>_as_<predicted>` metrics, and its `calibration_*` metrics when
// training recorded them: how sure the version is when right and when wrong) acting for the model's owner — the
// tenant, or "platform" for the platform's models — with the platform service key. A version's
// metrics never change, so each is read once; a version without usable confusion metrics gets the
// conservative default (confusion.ts), looked up again after a while in case it was re-registered,
// and an unreachable registry gets the default for the batch at hand and a retry 30 s later: the
// stream never waits on the registry for longer than one short request per new version.
import { authHeaders, serviceApiKey } from '@mercato/auth';
import { RegistryClient, RegistryError } from '@mercato/registry-client';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import {
  calibrationFromMetrics,
  confusionFromMetrics,
  defaultConfusion,
  modelKeyOf,
  type ModelConfusion,
  type ModelKey,
} from './confusion';
import type { MonitorConfig } from './monitor.config';

const LOOKUP_TIMEOUT_MS = 5_000;
/** A version without confusion metrics is asked again after this long. */
const RECHECK_MS = 10 * 60_000;
/** An unreachable registry is asked again after this long. */
const RETRY_MS = 30_000;

interface Held {
  confusion: ModelConfusion;
  /** Wall-clock time after which it is looked up again; undefined: never (measured). */
  until?: number;
}

const keyText = (k: ModelKey): string => `${k.owner}/${k.name}@${k.version}`;

@Injectable()
export class ModelConfusionService {
  private readonly registry: RegistryClient;
  private readonly held = new LRUCache<string, Held>({ max: 10_000 });
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    @Inject(SERVICE_CONFIG) config: MonitorConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.registry = new RegistryClient(
      config.MODEL_REGISTRY_URL,
      LOOKUP_TIMEOUT_MS,
      authHeaders(serviceApiKey()),
    );
  }

  /** Looks up every version the (label, tenant) pairs name that is not held (or is due again). */
  async prepare(pairs: readonly { modelVersion: string; tenantId: string }[]): Promise<void> {
    const now = Date.now();
    const due = new Map<string, ModelKey>();
    for (const p of pairs) {
      const key = modelKeyOf(p.modelVersion, p.tenantId);
      if (!key) continue;
      const text = keyText(key);
      const held = this.held.get(text);
      if (!held || (held.until !== undefined && held.until <= now)) due.set(text, key);
    }
    await Promise.all([...due].map(([text, key]) => this.lookUp(text, key)));
  }

  /** The confusion to read a version's labels through (the default when it is not known). */
  get(modelVersion: string, tenantId: string): ModelConfusion {
    const key = modelKeyOf(modelVersion, tenantId);
    if (!key) return defaultConfusion(`"${modelVersion}" names no registry version`);
    return this.held.get(keyText(key))?.confusion ?? defaultConfusion(`${keyText(key)} not looked up yet`);
  }

  private lookUp(text: string, key: ModelKey): Promise<void> {
    let pending = this.inFlight.get(text);
    if (!pending) {
      pending = this.fetch(text, key).finally(() => this.inFlight.delete(text));
      this.inFlight.set(text, pending);
    }
    return pending;
  }

  private async fetch(text: string, key: ModelKey): Promise<void> {
    try {
      const version = await this.registry.forTenant(key.owner).version(key.name, key.version);
      const matrix = confusionFromMetrics(version.metrics);
      if (typeof matrix === 'string') {
        this.held.set(text, {
          confusion: defaultConfusion(`${text}: ${matrix}`),
          until: Date.now() + RECHECK_MS,
        });
        this.logger.warn({ model: text, reason: matrix }, 'no measured confusion: the default is assumed');
        return;
      }
      const calibration = calibrationFromMetrics(version.metrics);
      if (typeof calibration === 'string') {
        this.logger.info(
          { model: text, reason: calibration },
          'no measured calibration: labels are read alone',
        );
        this.held.set(text, { confusion: { matrix, source: 'measured' } });
        return;
      }
      this.held.set(text, { confusion: { matrix, source: 'measured', calibration } });
    } catch (err) {
      const known = err instanceof RegistryError && err.status === 404;
      const reason = known
        ? `${text} is not in the registry`
        : `registry unreachable: ${(err as Error).message}`;
      this.held.set(text, {
        confusion: defaultConfusion(reason),
        until: Date.now() + (known ? RECHECK_MS : RETRY_MS),
      });
      this.logger.warn({ model: text, reason }, 'model confusion not read: the default is assumed');
    }
  }
}
