// TensorFlow.js backend selection: one code path for every backend. Auto picks tfjs-node-gpu when
// a GPU is present, tfjs-node on CPU, and the pure-JS (or WASM) backends only as a last resort;
// TF_BACKEND forces one. The choice is logged, exported as a metric and recorded in model lineage.
import { existsSync } from 'node:fs';

export type BackendPreference = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'cpu' | 'wasm';
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'cpu' | 'wasm';

export type TF = typeof import('@tensorflow/tfjs');

export interface SelectedBackend {
  tf: TF;
  name: BackendName;
  /** The package that provided it. */
  module: string;
  /** What was tried before it, and why each failed. */
  fallbacks: { name: BackendName; reason: string }[];
}

/** A GPU is usable when the NVIDIA driver is loaded and CUDA is not hidden. */
export function gpuPresent(
  env: NodeJS.ProcessEnv = process.env,
  exists: (p: string) => boolean = existsSync,
): boolean {
  if (env.CUDA_VISIBLE_DEVICES === '' || env.CUDA_VISIBLE_DEVICES === '-1') return false;
  return exists('/proc/driver/nvidia/version') || exists('/dev/nvidia0');
}

/** The order in which backends are tried. A forced backend is tried alone: failing is an error. */
export function backendOrder(preference: BackendPreference, gpu: boolean): BackendName[] {
  switch (preference) {
    case 'auto':
      return gpu ? ['tensorflow-gpu', 'tensorflow', 'cpu'] : ['tensorflow', 'cpu'];
    case 'tensorflow-gpu':
    case 'tensorflow':
    case 'cpu':
    case 'wasm':
      return [preference];
  }
}

const MODULES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  cpu: '@tensorflow/tfjs',
  wasm: '@tensorflow/tfjs-backend-wasm',
};

let selected: SelectedBackend | undefined;

/* eslint-disable @typescript-eslint/no-require-imports -- optional packages are loaded only when chosen */
async function load(name: BackendName): Promise<TF> {
  // The native packages are optional dependencies: a machine without them falls through to pure JS.
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const tf = require(MODULES[name]) as TF;
      await tf.setBackend('tensorflow');
      return tf;
    }
    case 'cpu': {
      const tf = require('@tensorflow/tfjs') as TF;
      await tf.setBackend('cpu');
      return tf;
    }
    case 'wasm': {
      const tf = require('@tensorflow/tfjs') as TF;
      require('@tensorflow/tfjs-backend-wasm');
      await tf.setBackend('wasm');
      return tf;
    }
  }
}

/* eslint-enable @typescript-eslint/no-require-imports */

/** Selects the backend once per process (TF_BACKEND or the given preference). */
export async function selectBackend(preference?: BackendPreference): Promise<SelectedBackend> {
  if (selected) return selected;
  const pref = preference ?? parsePreference(process.env.TF_BACKEND);
  const order = backendOrder(pref, gpuPresent());
  const fallbacks: SelectedBackend['fallbacks'] = [];
  for (const name of order) {
    try {
      const tf = await load(name);
      await tf.ready();
      selected = { tf, name, module: MODULES[name], fallbacks };
      return selected;
    } catch (err) {
      fallbacks.push({
        name,
        reason: err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err),
      });
    }
  }
  throw new Error(
    `no TensorFlow.js backend could be loaded (${fallbacks.map((f) => `${f.name}: ${f.reason}`).join('; ')})`,
  );
}

export function parsePreference(value: string | undefined): BackendPreference {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (v === 'auto' || v === 'tensorflow-gpu' || v === 'tensorflow' || v === 'cpu' || v === 'wasm') return v;
  throw new Error(`TF_BACKEND: expected auto, tensorflow-gpu, tensorflow, cpu or wasm (got "${value}")`);
}
