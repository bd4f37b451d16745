// Where the CLI finds the services it calls: the variable a user sets, else the local stack's port.
import { DEFAULT_PORTS } from '@mercato/config';

export const DEFAULT_REGISTRY_URL = `http://127.0.0.1:${DEFAULT_PORTS['model-registry']}`;
export const DEFAULT_TRAINING_URL = `http://127.0.0.1:${DEFAULT_PORTS.training}`;

export const trainingUrl = (): string => process.env.TRAINING_URL ?? DEFAULT_TRAINING_URL;
