// The training service's own variables, beyond the shared ones.
import { z } from '@mercato/config';
import type { PlatformConfig } from '@mercato/runtime';

export const trainingEnv = {
  MODEL_REGISTRY_URL: z.url().default('http://127.0.0.1:8084'),
  TF_BACKEND: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'cpu', 'wasm']).default('auto'),
};

export type TrainingConfig = PlatformConfig & {
  MODEL_REGISTRY_URL: string;
  TF_BACKEND: 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'cpu' | 'wasm';
};
