// `mercato models list|show|promote|rollback|history|lineage`: the model registry's versions and aliases from
// the terminal, through the one registry client (@mercato/registry-client; MODEL_REGISTRY_URL,
// default http://127.0.0.1:8084). Models are named as everywhere else: `name`, `name@alias` or
// `name@version` (@mercato/contracts). Tables for people, `--json` (the API's own response bodies)
// for scripts; exit code 1 when a request fails or a promotion policy rejects the version.
import {
  isModelAlias,
  MODEL_ALIASES,
  MODEL_KINDS,
  parseModelRef,
  type ModelAlias,
  type ModelKindName,
} from '@mercato/contracts';
import {
  loadTrustedKeys,
  RegistryClient,
  RegistryError,
  type RegistryVersion,
  type TrustedKeys,
  type VersionSummary,
} from '@mercato/registry-client';
import { cliAuthHeaders } from './keys';
import { DEFAULT_REGISTRY_URL, trainingUrl } from './service-urls';
import type { Command } from 'commander';
import { ensureDefaultSentimentModel } from './default-model';

const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const bytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`;

const metrics = (m: Record<string, number>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`)
    .join(' ') || '-';

const version = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `v${v}`);

/**
 * The CLI's registry client: --registry or MODEL_REGISTRY_URL, with the CLI's credential; with
 * MODEL_VERIFY_KEYS_DIR, a downloaded version must be signed by one of its keys.
 */
export function registryClient(url?: string): RegistryClient {
  const keysDir = process.env.MODEL_VERIFY_KEYS_DIR;
  return new RegistryClient(
    (url ?? process.env.MODEL_REGISTRY_URL) || DEFAULT_REGISTRY_URL,
    60_000,
    cliAuthHeaders(),
    keysDir ? trustedKeys(keysDir) : undefined,
  );
}

function trustedKeys(dir: string): TrustedKeys {
  try {
    return loadTrustedKeys(dir);
  } catch (err) {
    throw new Error(`MODEL_VERIFY_KEYS_DIR: ${(err as Error).message}`);
  }
}

/** With --json, a refusal's body is printed as the API gave it before the error goes to stderr. */
async function orPrintBody<T>(json: boolean | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (json && err instanceof RegistryError && err.body !== undefined)
      say(JSON.stringify(err.body, null, 2));
    throw err;
  }
}

function aliasOf(alias: string): ModelAlias {
  if (!isModelAlias(alias)) throw new Error(`alias: must be one of ${MODEL_ALIASES.join(', ')}`);
  return alias;
}

function kindOf(kind: string): ModelKindName {
  if (!(MODEL_KINDS as readonly string[]).includes(kind))
    throw new Error(`--kind ${kind}: expected ${MODEL_KINDS.join(' or ')}`);
  return kind as ModelKindName;
}

function printVersion(v: RegistryVersion): void {
  say(`${v.model} v${v.version}${v.aliases.length > 0 ? ` (${v.aliases.join(', ')})` : ''}`);
  say(`metrics: ${metrics(v.metrics)}`);
  // The experiment run that produced the version: its curves and parameters.
  const runId = v.lineage.runId;
  if (typeof runId === 'string')
    say(
      `run: ${runId} (npx mercato runs show ${runId}; ${trainingUrl()}/?model=${encodeURIComponent(v.model)}&version=${v.version})`,
    );
  // How much analyst feedback a sentiment version was trained with (libs/ml FeedbackLineage).
  const feedback = v.lineage.feedback as
    | { examples: number; weight: number; replaced: number; heldOut?: number; unavailable?: string }
    | undefined;
  if (feedback)
    say(
      `feedback: ${feedback.examples} corrected texts joined ×${feedback.weight}, ${feedback.replaced} examples replaced` +
        (feedback.heldOut ? `, ${feedback.heldOut} held out with the test data` : '') +
        (feedback.unavailable ? ` (none read: ${feedback.unavailable})` : ''),
    );
  say(`signed by: ${v.signature ? `${v.signature.keyId} (ed25519)` : '- (unsigned)'}`);
  say('');
  say(
    table(
      ['FILE', 'SIZE', 'SHA-256'],
      v.files.map((f) => [f.path, bytes(f.size), f.sha256]),
    ),
  );
}

export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description(
      `model versions and aliases in the model registry (MODEL_REGISTRY_URL, default ${DEFAULT_REGISTRY_URL})`,
    )
    .option('--registry <url>', 'model registry base URL (overrides MODEL_REGISTRY_URL)');
  const client = (): RegistryClient => registryClient(models.opts<{ registry?: string }>().registry);

  models
    .command('list')
    .description('every model with its latest version and aliases')
    .option('--kind <kind>', 'only sentiment or recommender models')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { kind?: string; json?: boolean }) => {
      const items = await orPrintBody(opts.json, () =>
        client().listModels(opts.kind === undefined ? undefined : kindOf(opts.kind)),
      );
      if (opts.json) return say(JSON.stringify({ items }, null, 2));
      if (items.length === 0) return say('no models registered');
      say(
        table(
          ['NAME', 'KIND', 'LATEST', 'PRODUCTION', 'STAGING', 'SHADOW', 'CREATED'],
          items.map((m) => [
            m.name,
            m.kind,
            version(m.latestVersion || null),
            version(m.aliases.production),
            version(m.aliases.staging),
            version(m.aliases.shadow),
            m.createdAt.slice(0, 19).replace('T', ' '),
          ]),
        ),
      );
    });

  models
    .command('show <model>')
    .description(
      'a model (name: its aliases and versions with metrics) or one version (name@alias, name@version: its metrics and files)',
    )
    .option('--json', 'print the API response as JSON')
    .action(async (refArg: string, opts: { json?: boolean }) => {
      const ref = parseModelRef(refArg);
      const registry = client();
      if (ref.alias !== undefined || ref.version !== undefined) {
        const v = await orPrintBody(opts.json, async () =>
          registry.version(ref.name, await registry.resolve(ref)),
        );
        if (opts.json) return say(JSON.stringify(v, null, 2));
        return printVersion(v);
      }
      const [m, versions] = await orPrintBody(
        opts.json,
        async () => [await registry.model(ref.name), await registry.versions(ref.name)] as const,
      );
      if (opts.json) return say(JSON.stringify({ ...m, versions }, null, 2));
      const aliases = Object.entries(m.aliases)
        .map(([alias, v]) => `${alias}=v${v}`)
        .join(' ');
      say(`${m.name} (${m.kind})${m.description ? ` — ${m.description}` : ''}`);
      say(`aliases: ${aliases || 'none'}`);
      if (versions.length === 0) return say('no versions registered');
      say('');
      say(
        table(
          ['VERSION', 'STATUS', 'ALIASES', 'METRICS', 'FILES', 'SIZE', 'CREATED'],
          versions.map((v: VersionSummary) => [
            `v${v.version}`,
            v.status,
            v.aliases.join(',') || '-',
            metrics(v.metrics),
            String(v.fileCount),
            bytes(v.totalBytes),
            v.createdAt.slice(0, 19).replace('T', ' '),
          ]),
        ),
      );
    });

  models
    .command('promote <model> [version]')
    .description(
      'point an alias at a version (name version, or name@version), optionally only if it beats the current one on a metric',
    )
    .option('--alias <alias>', 'production, staging or shadow', 'production')
    .option('--metric <metric>', 'promote only if the version beats the alias holder on this metric')
    .option('--margin <margin>', 'by at least this much (absolute; default 0)')
    .option('--lower-is-better', 'the metric improves downwards (loss, rmse)')
    .option('--force', "skip the model kind's default promotion policy")
    .option('--reason <reason>', 'why, recorded in the alias history and the audit log', '')
    .option('--json', 'print the API response as JSON')
    .action(
      async (
        refArg: string,
        versionArg: string | undefined,
        opts: {
          alias: string;
          metric?: string;
          margin?: string;
          lowerIsBetter?: boolean;
          force?: boolean;
          reason: string;
          json?: boolean;
        },
      ) => {
        const ref = parseModelRef(refArg);
        if (ref.alias !== undefined)
          throw new Error(`promote takes a version (${ref.name}@3 or ${ref.name} 3), not an alias`);
        const given = versionArg ?? (ref.version === undefined ? undefined : String(ref.version));
        if (given === undefined) throw new Error(`which version of ${ref.name}? e.g. ${ref.name}@3`);
        const v = Number(given.replace(/^v/, ''));
        if (!Number.isInteger(v) || v < 1) throw new Error(`"${given}" is not a version number`);
        if ((opts.margin !== undefined || opts.lowerIsBetter) && !opts.metric) {
          throw new Error('--margin and --lower-is-better need --metric');
        }
        const margin = opts.margin === undefined ? 0 : Number(opts.margin);
        if (!Number.isFinite(margin) || margin < 0)
          throw new Error(`--margin "${opts.margin}" is not a number >= 0`);
        const p = await orPrintBody(opts.json, () =>
          client().promote(ref.name, {
            version: v,
            alias: aliasOf(opts.alias),
            reason: opts.reason,
            force: !!opts.force,
            ...(opts.metric
              ? { policy: { metric: opts.metric, margin, higherIsBetter: !opts.lowerIsBetter } }
              : {}),
          }),
        );
        if (opts.json) say(JSON.stringify(p, null, 2));
        else if (p.outcome === 'promoted')
          say(
            `promoted ${p.model} v${p.version} to ${p.alias} (was ${version(p.previousVersion)}): ${p.reason}`,
          );
        else if (p.outcome === 'unchanged') say(`${p.model} ${p.alias} already points to v${p.version}`);
        else say(`rejected: ${p.model} v${p.requestedVersion} stays off ${p.alias}: ${p.reason}`);
        if (p.outcome === 'rejected') process.exitCode = 1;
      },
    );

  models
    .command('rollback <model>')
    .description('move an alias back to the version it held before its latest promotion')
    .option('--alias <alias>', 'production, staging or shadow', 'production')
    .option('--reason <reason>', 'why, recorded in the alias history and the audit log', '')
    .option('--json', 'print the API response as JSON')
    .action(async (refArg: string, opts: { alias: string; reason: string; json?: boolean }) => {
      const { name } = parseModelRef(refArg);
      const p = await orPrintBody(opts.json, () =>
        client().rollback(name, { alias: aliasOf(opts.alias), reason: opts.reason }),
      );
      if (opts.json) return say(JSON.stringify(p, null, 2));
      say(`rolled back ${p.model} ${p.alias} to v${p.version} (was ${version(p.previousVersion)})`);
    });

  models
    .command('history <model>')
    .description(
      'every decision on an alias, newest first: promotions, rollbacks and refused promotions, with the policy verdict',
    )
    .option('--alias <alias>', 'production, staging or shadow', 'production')
    .option('--json', 'print the API response as JSON')
    .action(async (refArg: string, opts: { alias: string; json?: boolean }) => {
      const { name } = parseModelRef(refArg);
      const items = await orPrintBody(opts.json, () => client().history(name, aliasOf(opts.alias)));
      if (opts.json) return say(JSON.stringify({ items }, null, 2));
      if (items.length === 0) return say(`${opts.alias} of ${name} has never been set`);
      say(
        table(
          ['AT', 'ACTION', 'FROM', 'TO', 'ACTOR', 'REASON', 'DECISION'],
          items.map((h) => [
            h.at.slice(0, 19).replace('T', ' '),
            h.revertedBy ? `${h.action} (undone)` : h.action,
            version(h.fromVersion),
            version(h.toVersion),
            h.actor,
            h.reason || '-',
            h.decision?.reason ?? '-',
          ]),
        ),
      );
    });

  models
    .command('lineage <model>')
    .description(
      'where a version comes from, in one call (name@version, name@alias, e.g. the modelName@modelVersion of a recommendation answer or an alert): dataset snapshot, feedback, code, run, and every decision about it',
    )
    .option('--json', 'print the API response as JSON')
    .action(async (refArg: string, opts: { json?: boolean }) => {
      const ref = parseModelRef(refArg);
      const registry = client();
      const l = await orPrintBody(opts.json, async () =>
        registry.lineage(ref.name, await registry.resolve(ref)),
      );
      if (opts.json) return say(JSON.stringify(l, null, 2));
      // Lineage values are whatever training recorded: JSON shows strings and objects alike.
      const text = (v: unknown): string =>
        v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
      say(`${l.model} v${l.version} (${l.kind})${l.aliases.length > 0 ? ` — ${l.aliases.join(', ')}` : ''}`);
      say(`registered: ${l.registeredAt}`);
      say(`dataset:    ${text(l.dataset.ref)} (${text(l.dataset.hash)})`);
      if (l.dataset.snapshot) say(`snapshot:   ${text(l.dataset.snapshot)}`);
      say(
        `split:      ${text(l.dataset.split)}, ${text(l.dataset.trainExamples)} training / ${text(l.dataset.testExamples)} held-out examples`,
      );
      say(`feedback:   ${text(l.feedback)}`);
      say(`code:       ${text(l.codeVersion)} on ${text(l.backend)}`);
      say(
        `training:   request ${text(l.training.requestId)} by ${text(l.training.requestedBy)}, run ${text(l.training.runId)}`,
      );
      if (l.parent) say(`parent:     ${text(l.parent)}`);
      if (l.teachers) say(`teachers:   ${text(l.teachers)}`);
      if (l.champion) say(`judged vs:  ${text(l.champion)}`);
      say('');
      if (l.decisions.length === 0) return say('no promotion decision about it yet');
      say(
        table(
          ['AT', 'ALIAS', 'ACTION', 'FROM', 'TO', 'ACTOR', 'DECISION'],
          l.decisions.map((h) => [
            h.at.slice(0, 19).replace('T', ' '),
            h.alias,
            h.action,
            version(h.fromVersion),
            version(h.toVersion),
            h.actor,
            h.decision?.reason ?? (h.reason || '-'),
          ]),
        ),
      );
    });

  models
    .command('install-default')
    .description(
      "register and promote the shipped default sentiment model (libs/ml/assets/sentiment-default) as the platform's `sentiment`, when the platform has none (a platform key: MERCATO_SERVICE_API_KEY, or the one `mercato up` wrote)",
    )
    .action(async () => {
      await ensureDefaultSentimentModel((line) => say(line));
    });
}
