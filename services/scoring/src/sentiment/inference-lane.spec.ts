import { describe, expect, it } from 'vitest';
import { InferenceLane } from './inference-lane';

describe('InferenceLane', () => {
  it('runs work in order, one slice per event-loop turn, with I/O-phase callbacks in between', async () => {
    const lane = new InferenceLane();
    const order: string[] = [];
    const slice = (name: string) => () => {
      order.push(name);
      // What the event loop does next, before the following slice (timers and I/O run here).
      setTimeout(() => order.push(`turn after ${name}`), 0);
      const until = Date.now() + 2;
      while (Date.now() < until);
      return name;
    };
    const results = await Promise.all([lane.run(slice('a')), lane.run(slice('b')), lane.run(slice('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(['a', 'turn after a', 'b', 'turn after b', 'c', 'turn after c']);
  });

  it('passes errors to their caller and keeps running later work', async () => {
    const lane = new InferenceLane();
    const failing = lane.run(() => {
      throw new Error('boom');
    });
    const next = lane.run(() => 42);
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });
});
