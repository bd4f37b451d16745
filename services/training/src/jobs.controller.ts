// HTTP: submit training requests (published to training.requests.v1) and follow their progress.
// Who submitted or cancelled a job is the caller's principal (in the request's requested_by and the
// audit log), never a body field.
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import {
  MODEL_KINDS,
  MODEL_NAME_PATTERN,
  MODEL_NAME_RULE,
  ModelKind,
  Topics,
  parseModelRefs,
} from '@mercato/contracts';
import { z } from '@mercato/config';
import { AuditLog } from '@mercato/db';
import { EventProducer } from '@mercato/kafka';
import { conflict, notFound, SERVICE_CONFIG, ValidBody, ValidParam, ValidQuery } from '@mercato/runtime';
import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { TrainingConfig } from './training.config';
import { Tags } from './runs.dto';
import { TrainingJobRepository, type JobRow } from './training-job.repository';

/** A job's id: the API's are UUIDs; jobs requested over Kafka carry their request's id (printable ASCII). */
const RequestId = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be 1-200 printable ASCII characters');

const SENTIMENT_ARCHITECTURES = ['transformer', 'student', 'cnn'] as const;

const SubmitBody = z
  .object({
    modelName: z.string().regex(MODEL_NAME_PATTERN, MODEL_NAME_RULE),
    kind: z.enum(MODEL_KINDS),
    architecture: z.enum(SENTIMENT_ARCHITECTURES).optional(),
    /**
     * A student's teacher: `name`, `name@alias` or `name@version` (parseModelRef), or several of them
     * separated by commas (the student learns from their ensemble).
     */
    teacher: z
      .string()
      .refine((refs) => {
        try {
          parseModelRefs(refs);
          return true;
        } catch {
          return false;
        }
      }, 'must be model references separated by commas: name, name@alias or name@version')
      .optional(),
    datasetRef: z.string().min(1, 'is required').max(2_000),
    hyperparameters: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
    baseVersion: z.number().int().positive().optional(),
    promoteIfBetter: z.boolean().default(false),
    /** Labels of the job's experiment run (`GET /v1/runs?tag=`). */
    tags: Tags.default([]),
  })
  .superRefine((body, ctx) => {
    if (body.kind === 'recommender' && (body.architecture || body.teacher))
      ctx.addIssue({ code: 'custom', path: ['architecture'], message: 'applies to sentiment models only' });
    if (body.architecture === 'student' && !body.teacher)
      ctx.addIssue({ code: 'custom', path: ['teacher'], message: 'is required for a student' });
    if (body.teacher && body.architecture !== 'student')
      ctx.addIssue({ code: 'custom', path: ['teacher'], message: 'applies to architecture student only' });
  });

const Limit = z.coerce.number().int().min(1).max(500).default(50);

const view = (row: JobRow) => ({
  requestId: row.request_id,
  model: row.model_name,
  kind: row.kind,
  architecture: row.architecture,
  runId: row.run_id,
  datasetRef: row.dataset_ref,
  status: row.status,
  attempts: row.attempts,
  version: row.version,
  metrics: row.metrics,
  championMetrics: row.champion_metrics,
  promotion: row.promotion,
  error: row.error,
  cancelRequestedAt: row.cancel_requested_at,
  progress: row.progress,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly jobs: TrainingJobRepository,
    private readonly producer: EventProducer,
    private readonly audit: AuditLog,
    @Inject(SERVICE_CONFIG) private readonly config: TrainingConfig,
  ) {}

  @RequireScopes('training:write')
  @Post()
  @HttpCode(202)
  async submit(
    @CurrentPrincipal() principal: Principal,
    @ValidBody(SubmitBody) input: z.output<typeof SubmitBody>,
  ): Promise<{ requestId: string; topic: string; tenantId: string; modelRegistry: string }> {
    const requestId = randomUUID();
    await this.producer.send(Topics.trainingRequests, [
      {
        key: input.modelName,
        eventId: requestId,
        value: {
          requestId,
          tenantId: principal.tenantId,
          modelName: input.modelName,
          kind: input.kind === 'sentiment' ? ModelKind.SENTIMENT : ModelKind.RECOMMENDER,
          architecture: input.architecture ?? '',
          teacher: input.teacher ?? '',
          datasetRef: input.datasetRef,
          hyperparameters: Object.fromEntries(
            Object.entries(input.hyperparameters).map(([k, v]) => [k, String(v)]),
          ),
          baseVersion: input.baseVersion ? String(input.baseVersion) : '',
          promoteIfBetter: input.promoteIfBetter,
          requestedBy: principal.subject,
          tags: input.tags,
        },
      },
    ]);
    await this.audit.record(principal, {
      action: 'training.submit',
      target: `job ${requestId}`,
      details: {
        model: input.modelName,
        kind: input.kind,
        datasetRef: input.datasetRef,
        promoteIfBetter: input.promoteIfBetter,
      },
    });
    // Where the job's version will be registered, so a client can say so before the job starts.
    return {
      requestId,
      topic: Topics.trainingRequests.name,
      tenantId: principal.tenantId,
      modelRegistry: this.config.MODEL_REGISTRY_URL,
    };
  }

  @RequireScopes('training:read')
  @Get()
  async list(
    @CurrentPrincipal() principal: Principal,
    @ValidQuery(Limit, 'limit') n: number,
  ): Promise<{ items: ReturnType<typeof view>[] }> {
    return { items: (await this.jobs.list(principal.tenantId, n)).map(view) };
  }

  /** Stops a running job at its next step; it ends as cancelled and registers nothing. */
  @RequireScopes('training:write')
  @Post(':requestId/cancel')
  @HttpCode(202)
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('requestId', RequestId) requestId: string,
  ): Promise<ReturnType<typeof view>> {
    const row = await this.jobs.requestCancel(principal.tenantId, requestId, principal.subject);
    if (!row) throw notFound(`no training job ${requestId}`);
    if (row.status !== 'running')
      throw conflict('not_running', `training job ${requestId} is ${row.status}, not running`);
    await this.audit.record(principal, {
      action: 'training.cancel',
      target: `job ${requestId}`,
      details: { model: row.model_name },
    });
    return view(row);
  }

  @RequireScopes('training:read')
  @Get(':requestId')
  async get(
    @CurrentPrincipal() principal: Principal,
    @ValidParam('requestId', RequestId) requestId: string,
  ): Promise<ReturnType<typeof view>> {
    const row = await this.jobs.get(principal.tenantId, requestId);
    if (!row) throw notFound(`no training job ${requestId}`);
    return view(row);
  }
}
