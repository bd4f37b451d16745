// The model artifacts shipped in the repository, registered as a version of a model: the platform's
// default sentiment model (`mercato up`, `mercato models install-default`) and a news stack serving it
// (`bench/news-pipeline.ts --model default`).
import type { ModelManifest } from '@mercato/ml';
import type { RegistryClient } from '@mercato/registry-client';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './infra';

/** The default sentiment model: a student distilled on TFNS (its README says how and what it scores). */
export const DEFAULT_SENTIMENT_MODEL_DIR = join(REPO_ROOT, 'libs/ml/assets/sentiment-default');

/**
 * Registers the artifact in `dir` as a version of `name` (created as a sentiment model if missing),
 * with the metrics and lineage its manifest carries, and promotes it to production. Registration is
 * idempotent per artifact: registering the same one again returns its version.
 */
export async function registerShippedModel(
  registry: RegistryClient,
  name: string,
  dir: string,
  /** Why, for the alias history; who is the registry client's credential. */
  promotion: { reason: string },
): Promise<{ version: number; manifest: ModelManifest }> {
  // Loaded on use: @mercato/ml brings TensorFlow.js, which most users of the dev stack never need.
  const { readArtifact, readManifest } = await import('@mercato/ml');
  const artifact = await readArtifact(dir);
  const manifest = readManifest(artifact);
  const source = relative(REPO_ROOT, dir);
  await registry.ensureModel(name, manifest.kind, `shipped model (${source})`);
  const { version } = await registry.register(name, {
    metrics: manifest.metrics,
    lineage: {
      source,
      ...((manifest.extra as { lineage?: Record<string, unknown> } | undefined)?.lineage ?? {}),
    },
    idempotencyKey: `shipped-${source}-${manifest.createdAt}`,
    files: artifact.files,
  });
  await registry.promote(name, { version, alias: 'production', ...promotion });
  return { version, manifest };
}
