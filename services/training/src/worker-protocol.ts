// Messages between the training service and its worker thread.
import type {
  ArtifactFile,
  BackendPreference,
  JobProgress,
  JobResult,
  LabeledText,
  RecommenderHyperparameters,
  RecommenderJobResult,
  SentimentArchitecture,
  SentimentHyperparameterValues,
} from '@mercato/ml';
import type { DatasetRef } from './dataset-ref';

export interface SentimentWorkerJob {
  kind: 'sentiment';
  architecture: SentimentArchitecture;
  dataset: DatasetRef;
  hyperparameters: SentimentHyperparameterValues;
  base?: { files: ArtifactFile[]; version?: string };
  /** A student's teachers (an ensemble of one or more), downloaded from the registry by the service. */
  teachers?: { files: ArtifactFile[]; name: string; version: string }[];
  /**
   * The tenant's analyst corrections as of the request (read by the service from the feature
   * service): `examples` join the training part, `holdout` extends the held-out part.
   */
  feedback?: { examples: LabeledText[]; holdout: LabeledText[]; weight: number };
  backend?: BackendPreference;
  /** The run's TensorBoard folder (TENSORBOARD_LOGDIR), written as the job trains. */
  events?: string;
}

export interface RecommenderWorkerJob {
  kind: 'recommender';
  dataset: DatasetRef;
  hyperparameters: Partial<RecommenderHyperparameters>;
  /** The production version, scored on the same held-out data inside the job. */
  champion?: { files: ArtifactFile[]; version: number };
  backend?: BackendPreference;
  /** Where `feature:` datasets come from, the service key sent as a bearer token, the tenant acted for. */
  feature: { url: string; apiKey?: string; tenantId?: string };
  events?: string;
}

export type WorkerJob = SentimentWorkerJob | RecommenderWorkerJob;

/** From the service to its worker: stop at the next step (the job ends as cancelled). */
export type WorkerCommand = { type: 'cancel' };

export type WorkerMessage =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'result'; result: JobResult | RecommenderJobResult }
  /** `retriable`: the failure is outside the job (a dependency down), so the request is retried. */
  | { type: 'error'; message: string; retriable?: boolean; cancelled?: boolean };
