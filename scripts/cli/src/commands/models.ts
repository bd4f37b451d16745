// `mercato models list|show|promote|rollback|history`: the model registry's versions and aliases from
// the terminal, over its HTTP API (MODEL_REGISTRY_URL, default http://127.0.0.1:8084). Tables for
// people, `--json` (the API's own response bodies) for scripts; exit code 1 when a request fails or a
// promotion policy rejects the version.
import { cliAuthHeaders } from './keys';
import type { Command } from 'commander';
import { userInfo } from 'node:os';

export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:8084';

interface ModelSummary {
  name: string;
  kind: string;
  description: string;
  latestVersion: number;
  aliases: Record<string, number>;
  createdAt: string;
}

interface VersionSummary {
  version: number;
  status: string;
  metrics: Record<string, number>;
  fileCount: number;
  totalBytes: number;
  aliases: string[];
  createdAt: string;
}

interface Promotion {
  outcome: 'promoted' | 'rejected' | 'unchanged' | 'rolled_back';
  model: string;
  alias: string;
  version: number | null;
  previousVersion: number | null;
  requestedVersion?: number;
  reason: string;
}

interface HistoryEntry {
  id: number;
  action: string;
  fromVersion: number | null;
  toVersion: number;
  actor: string;
  reason: string;
  revertedBy: number | null;
  at: string;
}

interface ErrorBody {
  message?: string;
  errors?: { field: string; reason: string }[];
}

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

function defaultActor(): string {
  if (process.env.MERCATO_ACTOR) return process.env.MERCATO_ACTOR;
  try {
    return `${userInfo().username}@cli`;
  } catch {
    return 'cli';
  }
}

class RegistryClient {
  constructor(readonly baseUrl: string) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...cliAuthHeaders(),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const { cause } = err as { cause?: { code?: string; message?: string } };
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new Error(
        `cannot reach the model registry at ${this.baseUrl} (${why}); is it running? MODEL_REGISTRY_URL sets where it is`,
      );
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text for the error message
    }
    return { status: res.status, body: parsed as T };
  }
}

/** Throws with the registry's message for an error status (after printing the body with --json). */
function fail(status: number, body: unknown, json: boolean): never {
  if (json) say(JSON.stringify(body, null, 2));
  const error = body as ErrorBody;
  const issues = error.errors?.map((i) => `\n  ${i.field}: ${i.reason}`).join('') ?? '';
  throw new Error(`model registry answered ${status}: ${error.message ?? JSON.stringify(body)}${issues}`);
}

const path = (name: string): string => `/v1/models/${encodeURIComponent(name)}`;

export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description(
      `model versions and aliases in the model registry (MODEL_REGISTRY_URL, default ${DEFAULT_REGISTRY_URL})`,
    )
    .option('--registry <url>', 'model registry base URL (overrides MODEL_REGISTRY_URL)');
  const client = (): RegistryClient =>
    new RegistryClient(
      (
        (models.opts<{ registry?: string }>().registry ?? process.env.MODEL_REGISTRY_URL) ||
        DEFAULT_REGISTRY_URL
      ).replace(/\/+$/, ''),
    );

  models
    .command('list')
    .description('every model with its latest version and aliases')
    .option('--kind <kind>', 'only sentiment or recommender models')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { kind?: string; json?: boolean }) => {
      const query = new URLSearchParams({ limit: '1000', ...(opts.kind ? { kind: opts.kind } : {}) });
      const res = await client().call<{ items: ModelSummary[] }>('GET', `/v1/models?${query.toString()}`);
      if (res.status !== 200) fail(res.status, res.body, !!opts.json);
      if (opts.json) return say(JSON.stringify(res.body, null, 2));
      if (res.body.items.length === 0) return say('no models registered');
      say(
        table(
          ['NAME', 'KIND', 'LATEST', 'PRODUCTION', 'STAGING', 'SHADOW', 'CREATED'],
          res.body.items.map((m) => [
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
    .command('show <name>')
    .description('a model: its aliases and versions with metrics')
    .option('--json', 'print the API response as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const model = await client().call<ModelSummary>('GET', path(name));
      if (model.status !== 200) fail(model.status, model.body, !!opts.json);
      const versions = await client().call<{ items: VersionSummary[] }>(
        'GET',
        `${path(name)}/versions?limit=1000`,
      );
      if (versions.status !== 200) fail(versions.status, versions.body, !!opts.json);
      if (opts.json) return say(JSON.stringify({ ...model.body, versions: versions.body.items }, null, 2));
      const m = model.body;
      const aliases = Object.entries(m.aliases)
        .map(([alias, v]) => `${alias}=v${v}`)
        .join(' ');
      say(`${m.name} (${m.kind})${m.description ? ` — ${m.description}` : ''}`);
      say(`aliases: ${aliases || 'none'}`);
      if (versions.body.items.length === 0) return say('no versions registered');
      say('');
      say(
        table(
          ['VERSION', 'STATUS', 'ALIASES', 'METRICS', 'FILES', 'SIZE', 'CREATED'],
          versions.body.items.map((v) => [
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
    .command('promote <name> <version>')
    .description('point an alias at a version, optionally only if it beats the current one on a metric')
    .option('--alias <alias>', 'production, staging or shadow', 'production')
    .option('--metric <metric>', 'promote only if the version beats the alias holder on this metric')
    .option('--margin <margin>', 'by at least this much (absolute; default 0)')
    .option('--lower-is-better', 'the metric improves downwards (loss, rmse)')
    .option('--force', "skip the model kind's default promotion policy")
    .option('--actor <actor>', 'who is promoting (default: $MERCATO_ACTOR or <user>@cli)')
    .option('--reason <reason>', 'why, recorded in the alias history', '')
    .option('--json', 'print the API response as JSON')
    .action(
      async (
        name: string,
        versionArg: string,
        opts: {
          alias: string;
          metric?: string;
          margin?: string;
          lowerIsBetter?: boolean;
          force?: boolean;
          actor?: string;
          reason: string;
          json?: boolean;
        },
      ) => {
        const v = Number(versionArg.replace(/^v/, ''));
        if (!Number.isInteger(v) || v < 1) throw new Error(`"${versionArg}" is not a version number`);
        if ((opts.margin !== undefined || opts.lowerIsBetter) && !opts.metric) {
          throw new Error('--margin and --lower-is-better need --metric');
        }
        const margin = opts.margin === undefined ? 0 : Number(opts.margin);
        if (!Number.isFinite(margin) || margin < 0)
          throw new Error(`--margin "${opts.margin}" is not a number >= 0`);
        const body = {
          version: v,
          alias: opts.alias,
          actor: opts.actor ?? defaultActor(),
          reason: opts.reason,
          force: !!opts.force,
          ...(opts.metric
            ? { policy: { metric: opts.metric, margin, higherIsBetter: !opts.lowerIsBetter } }
            : {}),
        };
        const res = await client().call<Promotion>('POST', `${path(name)}/promote`, body);
        const rejected = res.status === 409 && (res.body as Partial<Promotion>).outcome === 'rejected';
        if (res.status !== 200 && !rejected) fail(res.status, res.body, !!opts.json);
        if (opts.json) say(JSON.stringify(res.body, null, 2));
        else {
          const p = res.body;
          if (p.outcome === 'promoted')
            say(
              `promoted ${p.model} v${p.version} to ${p.alias} (was ${version(p.previousVersion)}): ${p.reason}`,
            );
          else if (p.outcome === 'unchanged') say(`${p.model} ${p.alias} already points to v${p.version}`);
          else say(`rejected: ${p.model} v${p.requestedVersion} stays off ${p.alias}: ${p.reason}`);
        }
        if (rejected) process.exitCode = 1;
      },
    );

  models
    .command('rollback <name>')
    .description('move an alias back to the version it held before its latest promotion')
    .option('--alias <alias>', 'production, staging or shadow', 'production')
    .option('--actor <actor>', 'who is rolling back (default: $MERCATO_ACTOR or <user>@cli)')
    .option('--reason <reason>', 'why, recorded in the alias history', '')
    .option('--json', 'print the API response as JSON')
    .action(async (name: string, opts: { alias: string; actor?: string; reason: string; json?: boolean }) => {
      const res = await client().call<Promotion>('POST', `${path(name)}/rollback`, {
        alias: opts.alias,
        actor: opts.actor ?? defaultActor(),
        reason: opts.reason,
      });
      if (res.status !== 200) fail(res.status, res.body, !!opts.json);
      if (opts.json) return say(JSON.stringify(res.body, null, 2));
      const p = res.body;
      say(`rolled back ${p.model} ${p.alias} to v${p.version} (was ${version(p.previousVersion)})`);
    });

  models
    .command('history <name>')
    .description('every move of an alias, newest first')
    .option('--alias <alias>', 'production, staging or shadow', 'production')
    .option('--json', 'print the API response as JSON')
    .action(async (name: string, opts: { alias: string; json?: boolean }) => {
      const res = await client().call<{ items: HistoryEntry[] }>(
        'GET',
        `${path(name)}/aliases/${encodeURIComponent(opts.alias)}/history?limit=1000`,
      );
      if (res.status !== 200) fail(res.status, res.body, !!opts.json);
      if (opts.json) return say(JSON.stringify(res.body, null, 2));
      if (res.body.items.length === 0) return say(`${opts.alias} of ${name} has never been set`);
      say(
        table(
          ['AT', 'ACTION', 'FROM', 'TO', 'ACTOR', 'REASON'],
          res.body.items.map((h) => [
            h.at.slice(0, 19).replace('T', ' '),
            h.revertedBy ? `${h.action} (undone)` : h.action,
            version(h.fromVersion),
            version(h.toVersion),
            h.actor,
            h.reason || '-',
          ]),
        ),
      );
    });
}
