// What every training job (sentiment-job.ts, recommender-job.ts) reports while it runs, and the code
// version it records in lineage. The training service relays these messages from its worker thread
// to logs, metrics, the jobs API and the run's metric series (experiment-run.ts); `mercato train`
// prints them.

export const CODE_VERSION = process.env.MERCATO_VERSION ?? '0.1.0';

export type JobProgress =
  | {
      /** 'warning': something the user should know about the data (shown with --json too). */
      stage: 'loading' | 'warning' | 'augmenting' | 'labeling' | 'training' | 'evaluating' | 'packaging';
      message: string;
    }
  /** The run's parameters once the job has resolved them (data read, model built), before it trains. */
  | { stage: 'params'; params: Record<string, unknown> }
  | {
      stage: 'epoch';
      phase: 'train' | 'distill';
      epoch: number;
      epochs: number;
      loss: number;
      accuracy?: number;
      valLoss?: number;
      valAccuracy?: number;
      valMacroF1?: number;
      samplesPerSecond: number;
    }
  /** Within an epoch of a long job (transformer fine-tuning, the teacher labeling a transfer set). */
  | {
      stage: 'step';
      phase: 'train' | 'label';
      step: number;
      steps: number;
      loss?: number;
      learningRate?: number;
      gradientNorm?: number;
      samplesPerSecond: number;
    };
