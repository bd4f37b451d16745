// The slot that holds the serving model and swaps it atomically. Work takes a lease on the model that
// is current when it starts and keeps that model until it releases the lease, so a Kafka batch (or an
// HTTP request) is served entirely by one version even when a swap lands between its chunks. A
// replaced model is disposed once its last lease is released.

export interface Disposable {
  dispose(): void;
}

export interface Lease<M> {
  readonly model: M;
  release(): void;
}

interface Entry<M> {
  model: M;
  leases: number;
  retired: boolean;
}

export class ModelSlot<M extends Disposable> {
  private current: Entry<M> | undefined;
  private waiters: (() => void)[] = [];

  /** The serving model, or undefined before the first one is installed. */
  get model(): M | undefined {
    return this.current?.model;
  }

  /** A lease on the serving model, or undefined when there is none yet. */
  acquire(): Lease<M> | undefined {
    const entry = this.current;
    if (!entry) return undefined;
    entry.leases++;
    let released = false;
    return {
      model: entry.model,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        this.disposeIfIdle(entry);
      },
    };
  }

  /** Installs the next model for all work that starts from now on; returns the one it replaced. */
  swap(next: M): M | undefined {
    const previous = this.current;
    this.current = { model: next, leases: 0, retired: false };
    if (previous) {
      previous.retired = true;
      this.disposeIfIdle(previous);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
    return previous?.model;
  }

  /** Resolves once a model is installed (at once when one already is). */
  whenInstalled(): Promise<void> {
    if (this.current) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Retires the serving model (shutdown): it is disposed when its last lease is released. */
  clear(): void {
    const previous = this.current;
    this.current = undefined;
    if (previous) {
      previous.retired = true;
      this.disposeIfIdle(previous);
    }
  }

  private disposeIfIdle(entry: Entry<M>): void {
    if (entry.retired && entry.leases === 0) entry.model.dispose();
  }
}
