// Fetches a sentiment model version of an owner (the platform tenant or a tenant) from the model
// registry, acting for that owner (every file checked against its SHA-256), loads it into
// TensorFlow.js as the architecture its manifest names, checks it is a three-label sentiment
// classifier and warms it up with a few predictions, so a version that cannot serve is refused
// before it is swapped in.
import { authHeaders, serviceApiKey } from '@mercato/auth';
import { isIntegrityFailure, RegistryClient } from '@mercato/registry-client';
import {
  SENTIMENT_LABELS,
  loadSentimentClassifier,
  readManifest,
  referenceFromMetrics,
  type PredictionProfile,
  type SentimentClassifier,
  type TF,
} from '@mercato/ml';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { ScoringConfig } from '../scoring.config';
import type { Disposable } from './model-slot';

export type SwapTrigger = 'startup' | 'event' | 'poll';

/** A loaded version as the slot holds it. */
export class ServingModel implements Disposable {
  constructor(
    /** Whose model it is: the platform tenant or a tenant's own. */
    readonly owner: string,
    readonly name: string,
    readonly version: number,
    readonly model: SentimentClassifier,
    readonly loadedAt: Date,
    readonly trigger: SwapTrigger,
    /** The predictions' distribution on its held-out evaluation (drift reference), when trained with one. */
    readonly reference?: PredictionProfile,
  ) {}

  dispose(): void {
    this.model.dispose();
  }
}

export type RefusalReason = 'integrity' | 'registry' | 'invalid_model';

export class ModelRefusedError extends Error {
  constructor(
    message: string,
    readonly reason: RefusalReason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelRefusedError';
  }
}

// Clear cases of each label plus an empty-ish one, so warm-up also runs the padding-only path.
const WARM_UP_TEXTS = [
  'shares plunge after the company misses earnings estimates',
  'company schedules its annual shareholder meeting',
  'shares surge to a record high on strong demand',
  'update',
];

@Injectable()
export class SentimentModelLoader {
  private readonly registry: RegistryClient;

  constructor(@Inject(SERVICE_CONFIG) config: ScoringConfig) {
    this.registry = new RegistryClient(
      config.MODEL_REGISTRY_URL,
      30_000,
      authHeaders(serviceApiKey()),
      config.MODEL_VERIFY_KEYS_DIR,
    );
  }

  /** The version the owner's production alias points to; undefined when there is none (or no such model). */
  productionVersion(owner: string, name: string): Promise<number | undefined> {
    return this.registry.forTenant(owner).resolveAlias(name, 'production');
  }

  async load(
    tf: TF,
    owner: string,
    name: string,
    version: number,
    trigger: SwapTrigger,
  ): Promise<ServingModel> {
    let files;
    try {
      ({ files } = await this.registry.forTenant(owner).download(name, version));
    } catch (err) {
      const reason: RefusalReason = isIntegrityFailure(err) ? 'integrity' : 'registry';
      throw new ModelRefusedError(`${name} v${version}: download failed: ${(err as Error).message}`, reason, {
        cause: err,
      });
    }
    let model: SentimentClassifier | undefined;
    try {
      const manifest = readManifest({ files });
      const labels = manifest.labels ?? [];
      if (labels.join() !== SENTIMENT_LABELS.join())
        throw new Error(`labels [${labels.join(', ')}] are not [${SENTIMENT_LABELS.join(', ')}]`);
      model = await loadSentimentClassifier(tf, { files });
      warmUp(model);
      return new ServingModel(
        owner,
        name,
        version,
        model,
        new Date(),
        trigger,
        referenceFromMetrics(manifest.metrics ?? {}),
      );
    } catch (err) {
      model?.dispose();
      throw new ModelRefusedError(
        `${name} v${version}: not a usable sentiment model: ${(err as Error).message}`,
        'invalid_model',
        {
          cause: err,
        },
      );
    }
  }
}

/** Runs the model once as it serves (kernels get initialized); refuses one whose outputs are not probabilities. */
function warmUp(model: SentimentClassifier): void {
  for (const { probabilities } of model.classify(WARM_UP_TEXTS)) {
    const sum = probabilities.reduce((a, b) => a + b, 0);
    if (probabilities.some((p) => !Number.isFinite(p) || p < 0 || p > 1) || Math.abs(sum - 1) > 1e-3)
      throw new Error(`warm-up produced [${probabilities.join(', ')}], not probabilities`);
  }
}
