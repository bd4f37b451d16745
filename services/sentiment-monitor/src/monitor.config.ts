// The sentiment monitor's own variables, beyond the shared ones, validated once at start-up.
// ALERT_RULES may also be given as a file with ALERT_RULES_FILE (the loader's <NAME>_FILE rule);
// its window fields are checked against WINDOWS, so the rule book is built by resolveMonitorSettings.
import { ConfigError, positiveInt, z } from '@mercato/config';
import type { PlatformConfig } from '@mercato/runtime';
import { parseAlertRules, type AlertRuleBook } from './alert-rules';
import { parseDuration } from './durations';
import { checkHostPattern, parseCidrs } from './webhook-egress';
import { parseWindowSizes } from './windows';

/** A zod string → value transform that reports the parser's message as the variable's problem. */
const parsed =
  <T>(parse: (text: string) => T) =>
  (text: string, ctx: z.RefinementCtx) => {
    try {
      return parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  };

const duration = (fallback: string) => z.string().default(fallback).transform(parsed(parseDuration));

const commaList = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A comma-separated list, each entry checked by `check` (which throws naming the bad entry). */
const listOf = (check: (entries: string[]) => unknown) =>
  z
    .string()
    .default('')
    .transform(
      parsed((text) => {
        const entries = commaList(text);
        check(entries);
        return entries;
      }),
    );

export const monitorEnv = {
  /** Tumbling window sizes, e.g. "5m,1h". */
  WINDOWS: z.string().default('5m,1h').transform(parsed(parseWindowSizes)),
  /** How far behind a ticker's watermark a record may be and still be counted. */
  ALLOWED_LATENESS: duration('10m'),
  /** Records published further than this ahead of the wall clock are not counted (they would stall the watermark). */
  MAX_FUTURE_SKEW: duration('15m'),
  /** Articles after which a closed window's weight in a ticker's baseline has fallen to 1/e. */
  BASELINE_MEMORY_ARTICLES: positiveInt(300),
  /** How often each tenant's market prior is recomputed from its tickers' baselines. */
  MARKET_PRIOR_REFRESH: duration('1m'),
  /** Surge rules of the deployment: JSON with "defaults" and per-ticker "tickers" overrides (see README). */
  ALERT_RULES: z.string().optional(),
  /** The model registry, read for each scoring version's measured confusion. */
  MODEL_REGISTRY_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    .default('http://127.0.0.1:8084'),
  /** The feature service: analysts' label corrections from the dashboard are stored there. */
  FEATURE_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    .default('http://127.0.0.1:8082'),
  NODE_ENV: z.string().optional(),
  /** Webhook URLs must be https (default: true when NODE_ENV=production). */
  WEBHOOK_HTTPS_ONLY: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes')),
  /** Hosts webhooks may reach whatever they resolve to: `hooks.example.com`, `*.example.com`. */
  WEBHOOK_ALLOWED_HOSTS: listOf((hosts) => hosts.forEach(checkHostPattern)),
  /** Addresses webhooks may reach although they are loopback, private, link-local… (CIDRs). */
  WEBHOOK_ALLOWED_CIDRS: listOf(parseCidrs),
  /** The cluster's pod and service CIDRs: refused as webhook targets even when public. */
  WEBHOOK_CLUSTER_CIDRS: listOf(parseCidrs),
  WEBHOOK_MAX_ATTEMPTS: positiveInt(8),
  WEBHOOK_BACKOFF_MS: positiveInt(2_000),
  WEBHOOK_MAX_BACKOFF_MS: positiveInt(600_000),
  WEBHOOK_TIMEOUT_MS: positiveInt(5_000),
  /** How often the webhook dispatcher looks for due deliveries (it is also woken after each alert). */
  WEBHOOK_POLL_MS: positiveInt(1_000),
  /** How often the Kafka relay looks for unpublished alerts (it is also woken after each alert). */
  ALERT_RELAY_POLL_MS: positiveInt(1_000),
  /** How often SSE streams look for alerts raised by other replicas. */
  SSE_POLL_MS: positiveInt(1_000),
  SSE_HEARTBEAT_MS: positiveInt(15_000),
  /**
   * A trace viewer's page of one trace, with {traceId} where the id goes (e.g.
   * http://jaeger:16686/trace/{traceId}): the dashboard links each alert to its completing article's trace.
   */
  TRACE_UI_URL: z
    .string()
    .refine((url) => url.includes('{traceId}'), 'must contain {traceId}, where the trace id goes')
    .refine(
      (url) => /^https?:\/\//.test(url) && URL.canParse(url.replaceAll('{traceId}', '0')),
      'expected an http(s) URL',
    )
    .optional(),
  /** How long processed event ids are kept for dedupe (longer than the topic's retention). */
  PROCESSED_EVENTS_RETENTION: duration('8d'),
};

export type MonitorConfig = PlatformConfig & z.infer<z.ZodObject<typeof monitorEnv>>;

export interface MonitorSettings {
  /** The deployment's rule book (ALERT_RULES over the built-in defaults). */
  rules: AlertRuleBook;
}

export const MONITOR_SETTINGS = Symbol('MONITOR_SETTINGS');

/** What the configuration says beyond single variables; a bad ALERT_RULES stops the start-up naming it. */
export function resolveMonitorSettings(config: MonitorConfig): MonitorSettings {
  try {
    return {
      rules: parseAlertRules(
        config.ALERT_RULES,
        config.WINDOWS.map((w) => w.label),
      ),
    };
  } catch (err) {
    throw new ConfigError([`ALERT_RULES: ${(err as Error).message}`]);
  }
}

/** The egress policy's settings from the configuration. */
export const egressOptions = (config: MonitorConfig) => ({
  httpsOnly: config.WEBHOOK_HTTPS_ONLY ?? config.NODE_ENV === 'production',
  allowedHosts: config.WEBHOOK_ALLOWED_HOSTS,
  allowedCidrs: config.WEBHOOK_ALLOWED_CIDRS,
  clusterCidrs: config.WEBHOOK_CLUSTER_CIDRS,
});
