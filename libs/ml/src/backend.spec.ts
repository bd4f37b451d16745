import { describe, expect, it } from 'vitest';
import { backendOrder, gpuPresent, parsePreference, selectBackend } from './backend';

describe('backend selection', () => {
  it('prefers the GPU binding when a GPU is present, then CPU native, then pure JS', () => {
    expect(backendOrder('auto', true)).toEqual(['tensorflow-gpu', 'tensorflow', 'cpu']);
    expect(backendOrder('auto', false)).toEqual(['tensorflow', 'cpu']);
    expect(backendOrder('wasm', true)).toEqual(['wasm']);
  });

  it('detects a GPU from the NVIDIA driver unless CUDA is hidden', () => {
    expect(gpuPresent({}, (p) => p === '/proc/driver/nvidia/version')).toBe(true);
    expect(gpuPresent({ CUDA_VISIBLE_DEVICES: '-1' }, () => true)).toBe(false);
    expect(gpuPresent({}, () => false)).toBe(false);
  });

  it('validates TF_BACKEND', () => {
    expect(parsePreference(undefined)).toBe('auto');
    expect(parsePreference('TensorFlow')).toBe('tensorflow');
    expect(() => parsePreference('cuda')).toThrow(/TF_BACKEND: expected/);
  });

  it('loads the native CPU backend on this machine (no GPU here), and it computes', async () => {
    const { tf, name, fallbacks } = await selectBackend('auto');
    expect(fallbacks).toEqual([]);
    expect(name).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    const product = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(await product.data()).toEqual(new Float32Array([11]));
  });
});
