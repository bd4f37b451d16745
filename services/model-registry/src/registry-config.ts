// The model registry's own environment variables (beyond the shared platform ones), validated once
// at start-up: default promotion policies per model kind, the outbox relay cadence, the public URL.
import { positiveInt, z } from '@mercato/config';
import type { PlatformConfig } from '@mercato/runtime';
import { parsePolicySpec, type PromotionPolicy } from './promotion-policy';

const policySpec = z
  .string()
  .optional()
  .transform((spec, ctx): PromotionPolicy | undefined => {
    if (spec === undefined || spec.trim() === '') return undefined;
    try {
      return parsePolicySpec(spec);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

export const registryEnv = {
  /** Default policy for promotions of sentiment models, e.g. `macro_f1:0.005`. */
  PROMOTION_POLICY_SENTIMENT: policySpec,
  /** Default policy for promotions of recommender models, e.g. `ndcg_at_10_sampled99:0.005`. */
  PROMOTION_POLICY_RECOMMENDER: policySpec,
  /** How often the outbox relay looks for unpublished events (it is also woken after each change). */
  OUTBOX_POLL_MS: positiveInt(1_000),
  /** Base URL clients reach the registry at; makes artifact URIs in events absolute. */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    .optional()
    .transform((u) => u?.replace(/\/+$/, '')),
};

export type RegistryConfig = PlatformConfig & z.infer<z.ZodObject<typeof registryEnv>>;

/** Largest registration request (JSON with base64 files): about 190 MB of artifact bytes. */
export const REGISTRATION_BODY_LIMIT = 256 * 1024 * 1024;
