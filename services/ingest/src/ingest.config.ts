// The ingest service's own variables (beyond the shared ones) and the settings resolved from them at
// start-up: batch and size limits, the dedupe window, the pseudonymization key, and where user
// deletions go (the feature service, with this service's key).
import { loadConfig, positiveInt, z } from '@mercato/config';
import { pseudonymizationEnv, resolvePseudonymizationKey } from '@mercato/privacy';
import type { PlatformConfig } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';

const DEFAULT_MAX_REQUEST_BYTES = 5 * 1024 * 1024;

export const ingestEnv = {
  ...pseudonymizationEnv,
  /** Most records in one request. */
  INGEST_MAX_BATCH: positiveInt(1000),
  /** Largest request body in bytes; larger requests get 413 without being read. */
  INGEST_MAX_REQUEST_BYTES: positiveInt(DEFAULT_MAX_REQUEST_BYTES),
  /** Longest article body in characters. */
  INGEST_MAX_BODY_CHARS: positiveInt(100_000),
  /** How far in the future a timestamp may lie (clock skew between the client and us), in seconds. */
  INGEST_MAX_FUTURE_SKEW_S: z.coerce.number().int().min(0).default(300),
  /** How long an article's id and content hash count as seen, in hours. */
  INGEST_DEDUPE_WINDOW_H: positiveInt(72),
  /** How often dedupe keys older than the window are deleted, in seconds. */
  INGEST_DEDUPE_CLEANUP_INTERVAL_S: positiveInt(600),
  /** The feature service, which deletes a user's data on DELETE /v1/users/{id}. */
  FEATURE_URL: z.url().default('http://127.0.0.1:8082'),
  /** This service's platform key for calls to other services (MERCATO_SERVICE_API_KEY_FILE works too). */
  MERCATO_SERVICE_API_KEY: z.string().min(1).optional(),
};

export type IngestConfig = PlatformConfig & z.infer<z.ZodObject<typeof ingestEnv>>;

/** Everything the ingest providers need, resolved once at start-up. */
export interface IngestSettings {
  maxBatch: number;
  maxRequestBytes: number;
  maxBodyChars: number;
  maxFutureSkewS: number;
  dedupeWindowHours: number;
  cleanupIntervalMs: number;
  pseudonymizationKey: string;
  featureUrl: string;
  serviceApiKey: string | undefined;
}

export const INGEST_SETTINGS = Symbol('INGEST_SETTINGS');

/**
 * The body limit has to be known before the HTTP server is built, which happens before the service's
 * full configuration is loaded; the same variable is validated again with the others.
 */
export function maxRequestBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return loadConfig(z.object({ INGEST_MAX_REQUEST_BYTES: ingestEnv.INGEST_MAX_REQUEST_BYTES }), env)
    .INGEST_MAX_REQUEST_BYTES;
}

/** Resolves the settings; without a pseudonymization key, production stops with exit code 78. */
export function resolveIngestSettings(config: IngestConfig, logger: Logger): IngestSettings {
  const key = resolvePseudonymizationKey(config, (message) => logger.warn(message));
  return {
    maxBatch: config.INGEST_MAX_BATCH,
    maxRequestBytes: config.INGEST_MAX_REQUEST_BYTES,
    maxBodyChars: config.INGEST_MAX_BODY_CHARS,
    maxFutureSkewS: config.INGEST_MAX_FUTURE_SKEW_S,
    dedupeWindowHours: config.INGEST_DEDUPE_WINDOW_H,
    cleanupIntervalMs: config.INGEST_DEDUPE_CLEANUP_INTERVAL_S * 1000,
    pseudonymizationKey: key,
    featureUrl: config.FEATURE_URL,
    serviceApiKey: config.MERCATO_SERVICE_API_KEY,
  };
}
