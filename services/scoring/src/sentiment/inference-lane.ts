// Runs synchronous inference slices one at a time, first come first served, each in its own turn of
// the event loop. TensorFlow's native binding blocks the loop for a whole call; without the lane the
// slices of concurrently consumed partitions (and HTTP requests) queued for the same turn would run
// back to back, and I/O would wait for all of them instead of one.
import { setImmediate as nextTurn } from 'node:timers/promises';

export class InferenceLane {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => T): Promise<T> {
    // The next turn is only requested once the previous slice is done, so I/O runs between slices.
    const result = this.tail.then(() => nextTurn()).then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
