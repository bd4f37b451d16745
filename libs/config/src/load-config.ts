// Typed, validated environment configuration: one zod schema per service, read once at start-up.
// A bad or missing variable stops the process with the variable's name and what was wrong.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Secrets may be given as files (Kubernetes Secret volumes): for any variable X in the schema,
 * X_FILE names a file whose trimmed content is used when X itself is unset.
 */
function withFileSecrets(
  keys: string[],
  env: NodeJS.ProcessEnv,
): { values: Record<string, unknown>; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of keys) {
    const direct = env[key];
    const file = env[`${key}_FILE`];
    if (direct !== undefined && direct !== '') {
      values[key] = direct;
    } else if (file) {
      try {
        values[key] = readFileSync(file, 'utf8').trim();
      } catch (err) {
        problems.push(
          `${key}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        );
      }
    }
  }
  return { values, problems };
}

/** One secret outside a schema (the CLI's key, a service's key): X, else the trimmed content of X_FILE. */
export function readSecret(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const direct = env[name];
  if (direct) return direct.trim();
  const file = env[`${name}_FILE`];
  return file ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const { values, problems } = withFileSecrets(Object.keys(schema.shape), env);
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.map(String).join('.') || '(root)';
      const got = values[name];
      const shown = got === undefined ? 'it is not set' : `got ${JSON.stringify(redact(name, got))}`;
      problems.push(`${name}: ${issue.message} (${shown})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed.data as z.infer<S>;
}

function redact(name: string, value: unknown): unknown {
  return /PASSWORD|SECRET|KEY|TOKEN|DATABASE_URL/.test(name) ? '<redacted>' : value;
}

/** "true"/"false"/"1"/"0" as a boolean; anything else is an error naming the variable. */
export const booleanString = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A comma-separated list (blanks around entries ignored); unset or empty: []. */
export const commaList = () =>
  z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    );
