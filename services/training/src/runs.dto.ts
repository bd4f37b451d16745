// What the runs API accepts and answers, as zod schemas (the OpenAPI document is built from them).
// Metric values are numbers, or "NaN", "Infinity", "-Infinity" for the values JSON has no number
// for: a diverged loss is stored and shown as it was, never dropped or turned into null.
import { z } from '@mercato/config';
import { MODEL_KINDS, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '@mercato/contracts';
import { METRIC_NAME_PATTERN, RUN_FORMAT, RUN_SOURCES, RUN_STATUSES } from '@mercato/ml';

const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,62}$/;
export const Tag = z
  .string()
  .regex(
    TAG_PATTERN,
    'must be 1-63 characters of letters, digits, ":", ".", "_" or "-", starting with a letter or digit',
  );
export const Tags = z.array(Tag).max(20, 'at most 20 tags');

const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const RunId = z
  .string()
  .regex(RUN_ID_PATTERN, 'must be 1-100 characters of letters, digits, ".", "_" or "-"');

const MetricName = z
  .string()
  .max(100)
  .regex(METRIC_NAME_PATTERN, 'must be lower-case words of a-z, 0-9 and "_" joined by "/", e.g. epoch/loss');
const ResultName = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1-100 characters of letters, digits, "_", ".", ":" or "-"');

export const MetricValue = z
  .union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])])
  .describe('a number, or "NaN", "Infinity", "-Infinity" (kept as they are; viewers show them as gaps)');

const Instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });
const MAX_STEP = 2_147_483_647;
const MAX_POINTS = 200_000;

export const ListQuery = z.object({
  model: z.string().regex(MODEL_NAME_PATTERN, MODEL_NAME_RULE).optional().describe('only runs of this model'),
  tag: Tag.optional().describe('only runs with this tag'),
  status: z.enum(RUN_STATUSES).optional(),
  version: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_STEP)
    .optional()
    .describe(
      'only the run that produced this registry version (with model): the link from a version to its run',
    ),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const MetricsQuery = z.object({
  name: MetricName.optional().describe('one series (e.g. epoch/loss); all of the run’s series without it'),
});

/** An offline run's record (run.json), as `mercato train --offline` writes it. */
export const ImportRunBody = z
  .object({
    format: z.literal(RUN_FORMAT),
    runId: RunId,
    model: z.string().regex(MODEL_NAME_PATTERN, MODEL_NAME_RULE),
    kind: z.enum(MODEL_KINDS),
    architecture: z.string().min(1).max(40).nullable().default(null),
    source: z.literal('offline', { message: 'only offline runs are imported; the service records its own' }),
    status: z.enum(['finished', 'failed', 'cancelled'], {
      message: 'must be finished, failed or cancelled (a running run cannot be imported)',
    }),
    params: z.record(z.string().max(200), z.unknown()).default({}),
    tags: Tags.default([]),
    metrics: z.record(ResultName, MetricValue).default({}),
    error: z.string().max(4000).nullable().default(null),
    startedAt: Instant,
    finishedAt: Instant.nullable().default(null),
    series: z
      .record(
        MetricName,
        z
          .array(
            z.object({
              step: z.number().int().min(0).max(MAX_STEP),
              value: MetricValue,
              at: Instant,
            }),
          )
          .max(MAX_POINTS),
      )
      .default({}),
  })
  .superRefine((run, ctx) => {
    if (run.finishedAt && Date.parse(run.finishedAt) < Date.parse(run.startedAt))
      ctx.addIssue({ code: 'custom', path: ['finishedAt'], message: 'is before startedAt' });
    const points = Object.values(run.series).reduce((n, s) => n + s.length, 0);
    if (points > MAX_POINTS)
      ctx.addIssue({
        code: 'custom',
        path: ['series'],
        message: `holds ${points} points; at most ${MAX_POINTS}`,
      });
    for (const [name, series] of Object.entries(run.series)) {
      const steps = new Set(series.map((p) => p.step));
      if (steps.size !== series.length)
        ctx.addIssue({ code: 'custom', path: ['series', name], message: 'has a step more than once' });
    }
  });

const Metrics = z.record(z.string(), MetricValue);

export const RunSummaryView = z.object({
  runId: z.string(),
  model: z.string(),
  kind: z.enum(MODEL_KINDS),
  architecture: z.string().nullable(),
  source: z
    .enum(RUN_SOURCES)
    .describe('job: through the stack; retrain: a triggered retrain; offline: imported'),
  status: z.enum(RUN_STATUSES),
  tags: z.array(z.string()),
  requestId: z.string().nullable().describe('the training request (GET /v1/jobs/{requestId})'),
  requestedBy: z.string(),
  registeredVersion: z.number().int().nullable().describe('the registry version the run produced'),
  metrics: Metrics.describe('the final evaluation on the held-out data'),
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationSeconds: z.number().nullable(),
});
export type RunSummaryView = z.infer<typeof RunSummaryView>;

export const RunView = RunSummaryView.extend({
  params: z
    .record(z.string(), z.unknown())
    .describe('hyperparameters, datasetRef, datasetHash, codeVersion, backend, teacher, parent, examples'),
  series: z.array(
    z.object({
      name: z.string(),
      points: z.number().int(),
      lastStep: z.number().int(),
      lastValue: MetricValue,
    }),
  ),
});
export type RunView = z.infer<typeof RunView>;

export const RunListView = z.object({
  items: z.array(RunSummaryView),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const RunMetricsView = z.object({
  runId: z.string(),
  series: z.array(
    z.object({
      name: z.string(),
      points: z.array(z.object({ step: z.number().int(), value: MetricValue, at: z.string() })),
    }),
  ),
});
export type RunMetricsView = z.infer<typeof RunMetricsView>;

export const ImportedView = z.object({ runId: z.string(), imported: z.boolean() });
