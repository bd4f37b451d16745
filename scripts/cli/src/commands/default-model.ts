// The platform's default sentiment model: the student distilled from the fine-tuned all-MiniLM-L6-v2
// teacher on TFNS (real finance headlines), shipped in libs/ml/assets/sentiment-default (its README
// says how it was built and what it scores). `mercato up` and `mercato models install-default`
// register it as the platform tenant's `sentiment` when the platform has none, so every tenant's
// news is scored from the start.
import { PLATFORM_TENANT, authHeaders } from '@mercato/auth';
import { DEFAULT_SENTIMENT_MODEL_DIR, registerShippedModel } from '@mercato/dev-stack';
import { RegistryClient } from '@mercato/registry-client';
import { stackServiceKey } from './keys';
import { DEFAULT_REGISTRY_URL } from './service-urls';

const say = (msg: string): void => {
  process.stdout.write(`${msg}\n`);
};

/**
 * Registers and promotes the shipped default model as the platform's `sentiment` when the platform
 * has no production version yet (a platform credential acts for the platform tenant). Returns the
 * serving version.
 */
export async function ensureDefaultSentimentModel(log: (msg: string) => void = say): Promise<number> {
  const registry = new RegistryClient(
    process.env.MODEL_REGISTRY_URL || DEFAULT_REGISTRY_URL,
    60_000,
    authHeaders(stackServiceKey()),
  ).forTenant(PLATFORM_TENANT);
  const current = await registry.resolveAlias('sentiment', 'production');
  if (current !== undefined) {
    log(`sentiment: the platform's v${current} is in production`);
    return current;
  }
  const { version, manifest } = await registerShippedModel(
    registry,
    'sentiment',
    DEFAULT_SENTIMENT_MODEL_DIR,
    { reason: 'the shipped default model (libs/ml/assets/sentiment-default)' },
  );
  log(
    `sentiment: registered the shipped default model as the platform's v${version} (TFNS accuracy ${manifest.metrics.accuracy?.toFixed(3)}, macro-F1 ${manifest.metrics.macro_f1?.toFixed(3)})`,
  );
  return version;
}
