import { describe, expect, it } from 'vitest';
import { ModelSlot } from './model-slot';

class FakeModel {
  disposed = 0;
  constructor(readonly version: number) {}
  dispose(): void {
    this.disposed++;
  }
}

describe('ModelSlot', () => {
  it('has nothing to lease before the first model is installed', () => {
    const slot = new ModelSlot<FakeModel>();
    expect(slot.acquire()).toBeUndefined();
    expect(slot.model).toBeUndefined();
  });

  it('wakes waiters when the first model is installed', async () => {
    const slot = new ModelSlot<FakeModel>();
    let woke = false;
    const waiting = slot.whenInstalled().then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    slot.swap(new FakeModel(1));
    await waiting;
    expect(woke).toBe(true);
    await expect(slot.whenInstalled()).resolves.toBeUndefined();
  });

  it('keeps a leased model for its holder across a swap and disposes it after the last release', () => {
    const slot = new ModelSlot<FakeModel>();
    const v1 = new FakeModel(1);
    const v2 = new FakeModel(2);
    slot.swap(v1);
    const inFlight = slot.acquire();
    const alsoInFlight = slot.acquire();
    expect(slot.swap(v2)).toBe(v1);

    expect(inFlight?.model.version).toBe(1);
    expect(slot.acquire()?.model.version).toBe(2);
    expect(v1.disposed).toBe(0);
    inFlight?.release();
    inFlight?.release();
    expect(v1.disposed).toBe(0);
    alsoInFlight?.release();
    expect(v1.disposed).toBe(1);
    expect(v2.disposed).toBe(0);
  });

  it('disposes a replaced model at once when nobody holds it, and the last one on clear', () => {
    const slot = new ModelSlot<FakeModel>();
    const v1 = new FakeModel(1);
    const v2 = new FakeModel(2);
    slot.swap(v1);
    slot.acquire()?.release();
    slot.swap(v2);
    expect(v1.disposed).toBe(1);
    const lease = slot.acquire();
    slot.clear();
    expect(slot.acquire()).toBeUndefined();
    expect(v2.disposed).toBe(0);
    lease?.release();
    expect(v2.disposed).toBe(1);
  });
});
