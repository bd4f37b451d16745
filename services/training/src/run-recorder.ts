// Records one training job's run as it trains: every progress message's metric points and the
// parameters the job resolved go to Postgres in order, off the job's path (a failed write is
// logged, the job goes on), and the run ends with its outcome once everything before it is written.
// Whatever the job reported before it failed stays: a failed run keeps its curves.
import { progressPoints, type JobProgress } from '@mercato/ml';
import type { Logger } from '@mercato/telemetry';
import type { RunRepository } from './run.repository';

export class RunRecorder {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly runs: RunRepository,
    readonly tenantId: string,
    readonly runId: string,
    private readonly log: Logger,
  ) {}

  observe(p: JobProgress): void {
    const points = progressPoints(p);
    const params = p.stage === 'params' ? p.params : undefined;
    if (!params && points.length === 0) return;
    this.tail = this.tail
      .then(async () => {
        if (params) await this.runs.mergeParams(this.tenantId, this.runId, params);
        await this.runs.addPoints(this.tenantId, this.runId, points);
      })
      .catch((err: unknown) =>
        this.log.warn({ err: (err as Error).message, runId: this.runId }, 'could not record run metrics'),
      );
  }

  async finish(outcome: Parameters<RunRepository['finish']>[2]): Promise<void> {
    await this.tail;
    try {
      await this.runs.finish(this.tenantId, this.runId, outcome);
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message, runId: this.runId },
        'could not record the end of the run',
      );
    }
  }
}
