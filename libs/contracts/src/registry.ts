// The model registry's contract, shared by the registry, the services that train and serve models,
// and the CLI: what a model name looks like, the kinds of model, the aliases a version can hold, and
// the one way to refer to a model version, `name`, `name@alias` or `name@version`.

/** 1-63 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9-_.]{0,62}$/;
export const MODEL_NAME_RULE = `must be 1-63 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit (${MODEL_NAME_PATTERN.source})`;

export const MODEL_KINDS = ['sentiment', 'recommender'] as const;
export type ModelKindName = (typeof MODEL_KINDS)[number];

export const MODEL_ALIASES = ['production', 'staging', 'shadow'] as const;
export type ModelAlias = (typeof MODEL_ALIASES)[number];

/**
 * The registry metric holding a classifier version's measured share of `actual` examples it
 * labelled `predicted` on its held-out set: training records one per pair of labels, the sentiment
 * monitor reads them (a weaker model needs more evidence of a surge).
 */
export const confusionMetricName = (actual: string, predicted: string): string =>
  `confusion_${actual}_as_${predicted}`;

/**
 * Upper edges of the confidence bins of a classifier version's calibration metrics: its top
 * probability (at least 1/3 with three classes) falls in the first bin whose edge it is below.
 */
export const CALIBRATION_EDGES = [0.6, 0.7, 0.8, 0.9, 1] as const;

/** The calibration bin of a top probability. */
export function calibrationBin(confidence: number): number {
  const i = CALIBRATION_EDGES.findIndex((edge) => confidence < edge);
  return i < 0 ? CALIBRATION_EDGES.length - 1 : i;
}

/**
 * The registry metric holding the share of a classifier version's held-out examples labelled
 * `predicted` whose top probability fell in `bin` and that were right (or wrong): how sure the
 * version is when it is right. Training records them beside the confusion; the monitor reads them.
 */
export const calibrationMetricName = (predicted: string, outcome: 'right' | 'wrong', bin: number): string =>
  `calibration_${predicted}_${outcome}_b${bin}`;

export const isModelName = (name: string): boolean => MODEL_NAME_PATTERN.test(name);
export const isModelAlias = (alias: string): alias is ModelAlias =>
  (MODEL_ALIASES as readonly string[]).includes(alias);

/** A model version as a reference names it: the model, and an alias or a version number, or neither. */
export type ModelRef =
  | { name: string; alias?: undefined; version?: undefined }
  | { name: string; alias: ModelAlias; version?: undefined }
  | { name: string; alias?: undefined; version: number };

export class ModelRefError extends Error {
  constructor(
    readonly ref: string,
    reason: string,
  ) {
    super(`"${ref}" is not a model reference (name, name@alias or name@version): ${reason}`);
    this.name = 'ModelRefError';
  }
}

const MAX_VERSION = 2_147_483_647;

/** Parses `name`, `name@alias` (production, staging, shadow) or `name@version` (`3` or `v3`). */
export function parseModelRef(ref: string): ModelRef {
  const at = ref.indexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  if (!isModelName(name)) throw new ModelRefError(ref, `the name ${MODEL_NAME_RULE}`);
  if (at < 0) return { name };
  const which = ref.slice(at + 1);
  if (isModelAlias(which)) return { name, alias: which };
  const digits = /^v?([1-9][0-9]{0,9})$/.exec(which)?.[1];
  if (digits !== undefined && Number(digits) <= MAX_VERSION) return { name, version: Number(digits) };
  throw new ModelRefError(
    ref,
    `after "@" comes an alias (${MODEL_ALIASES.join(', ')}) or a version number, not "${which}"`,
  );
}

/** Comma-separated references (`a@production,b@3`), each parsed by parseModelRef. */
export function parseModelRefs(refs: string): ModelRef[] {
  return refs.split(',').map((ref) => parseModelRef(ref.trim()));
}

/** The reference's text: `name`, `name@alias` or `name@version`. */
export function formatModelRef(ref: ModelRef): string {
  if (ref.alias !== undefined) return `${ref.name}@${ref.alias}`;
  if (ref.version !== undefined) return `${ref.name}@${ref.version}`;
  return ref.name;
}

/** A teacher a student version was distilled from, as its lineage records it. */
export interface LineageTeacher {
  model: string;
  version: number;
}

const isTeacher = (x: unknown): x is LineageTeacher =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as { model?: unknown }).model === 'string' &&
  typeof (x as { version?: unknown }).version === 'number';

/**
 * The teachers of a version's lineage (`teachers`, a list; versions distilled before ensembles
 * recorded one `teacher`), or [] when it has none.
 */
export function lineageTeachers(lineage: Readonly<Record<string, unknown>>): LineageTeacher[] {
  const recorded = Array.isArray(lineage.teachers) ? (lineage.teachers as unknown[]) : [lineage.teacher];
  return recorded.filter(isTeacher);
}
