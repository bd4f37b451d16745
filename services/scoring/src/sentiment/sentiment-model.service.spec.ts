// The model manager's decisions with the registry and the lifecycle topic replaced by fakes (the
// integration spec drives the real ones): start-up without a model, the alias poll, promotions and
// rollbacks, refusals, and the races between events, polls and slow loads.
import { create } from '@bufbuild/protobuf';
import { ModelEventSchema, ModelEventType, type ModelEvent } from '@mercato/contracts';
import type { SentimentModel, TF } from '@mercato/ml';
import { eventually } from '@mercato/dev-stack';
import { testLogger } from '@mercato/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScoringConfig } from '../scoring.config';
import type { ModelLifecycleListener } from './model-lifecycle.listener';
import {
  ModelRefusedError,
  ServingModel,
  type SentimentModelLoader,
  type SwapTrigger,
} from './sentiment-model.loader';
import { SentimentModelService } from './sentiment-model.service';
import { sentimentMetrics } from './sentiment-metrics';

const NAME = 'sentiment-unit';

class FakeRegistry {
  alias: number | undefined;
  loads: number[] = [];
  broken = new Set<number>();
  disposed: number[] = [];
  /** While set, loads wait for it (a slow download). */
  loadGate: Promise<void> | undefined;
  /** While set, alias reads wait for it (a slow registry). */
  aliasGate: Promise<void> | undefined;

  async productionVersion(): Promise<number | undefined> {
    const alias = this.alias;
    await this.aliasGate;
    return alias;
  }

  async load(_tf: TF, name: string, version: number, trigger: SwapTrigger): Promise<ServingModel> {
    this.loads.push(version);
    await this.loadGate;
    if (this.broken.has(version)) throw new ModelRefusedError(`v${version} is broken`, 'invalid_model');
    const model = { dispose: () => this.disposed.push(version) } as unknown as SentimentModel;
    return new ServingModel(name, version, model, new Date(), trigger);
  }
}

class FakeListener {
  deliver: ((event: ModelEvent) => void) | undefined;
  async start(onEvent: (event: ModelEvent) => void): Promise<void> {
    this.deliver = onEvent;
  }
  async stop(): Promise<void> {
    this.deliver = undefined;
  }
}

const promoted = (version: number, model = NAME): ModelEvent =>
  create(ModelEventSchema, {
    eventId: `e-${version}`,
    type: ModelEventType.PROMOTED,
    modelName: model,
    version: String(version),
    alias: 'production',
  });

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const services: SentimentModelService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) {
    await s.onModuleDestroy();
    await s.onApplicationShutdown();
  }
});

async function start(
  registry: FakeRegistry,
  pollMs = 600_000,
  listener = new FakeListener(),
): Promise<{ service: SentimentModelService; listener: FakeListener }> {
  const config = {
    SENTIMENT_MODEL_NAME: NAME,
    MODEL_POLL_INTERVAL_MS: pollMs,
    TF_BACKEND: 'auto',
  } as ScoringConfig;
  const service = new SentimentModelService(
    registry as unknown as SentimentModelLoader,
    listener as unknown as ModelLifecycleListener,
    config,
    testLogger('silent'),
  );
  services.push(service);
  await service.onApplicationBootstrap();
  return { service, listener };
}

const servingVersion = (service: SentimentModelService): number | undefined =>
  service.status().serving?.version;

const eventSwaps = async (): Promise<number> =>
  (await sentimentMetrics.swaps.get()).values.find(
    (v) => v.labels.model === NAME && v.labels.trigger === 'event',
  )?.value ?? 0;

describe('SentimentModelService', () => {
  it('starts without a production model and picks up the first one from the alias poll', async () => {
    const registry = new FakeRegistry();
    const { service } = await start(registry, 20);
    expect(service.status()).toMatchObject({ name: NAME, serving: null, lastRefused: null });
    expect(service.acquire()).toBeUndefined();
    const installed = service.whenInstalled();

    registry.alias = 1;
    await installed;
    expect(service.status().serving).toMatchObject({ version: 1, trigger: 'poll' });
    expect(registry.loads).toEqual([1]);
  });

  it('loads the production version at start-up and follows promotions and rollbacks', async () => {
    const registry = new FakeRegistry();
    registry.alias = 1;
    const { service, listener } = await start(registry);
    expect(service.status().serving).toMatchObject({ version: 1, trigger: 'startup' });

    const held = service.acquire();
    listener.deliver?.(promoted(2));
    await eventually(async () => (servingVersion(service) === 2 ? true : undefined), 2_000);
    expect(service.status().serving?.trigger).toBe('event');
    // v1 is still leased by work that started before the swap; it is disposed when released.
    expect(held?.model.version).toBe(1);
    expect(registry.disposed).toEqual([]);
    held?.release();
    expect(registry.disposed).toEqual([1]);

    listener.deliver?.(promoted(2));
    listener.deliver?.(promoted(9, 'another-model'));
    listener.deliver?.(promoted(1));
    await eventually(async () => (servingVersion(service) === 1 ? true : undefined), 2_000);
    expect(registry.loads).toEqual([1, 2, 1]);
  });

  it('keeps serving when a version is refused, and retries it only on a new promotion', async () => {
    const registry = new FakeRegistry();
    registry.alias = 1;
    const { service, listener } = await start(registry, 20);
    registry.broken.add(2);
    registry.alias = 2;
    listener.deliver?.(promoted(2));
    await eventually(async () => (service.status().lastRefused ? true : undefined), 2_000);
    expect(service.status()).toMatchObject({
      serving: { version: 1 },
      lastRefused: { version: 2, reason: 'invalid_model', error: 'v2 is broken' },
    });
    // Polls see the alias on the refused version but do not load it again.
    await new Promise((r) => setTimeout(r, 100));
    expect(registry.loads).toEqual([1, 2]);

    registry.broken.delete(2);
    listener.deliver?.(promoted(2));
    await eventually(async () => (servingVersion(service) === 2 ? true : undefined), 2_000);
    expect(registry.loads).toEqual([1, 2, 2]);
  });

  it('does not let an alias read that raced with an event undo the event', async () => {
    const registry = new FakeRegistry();
    const slowRead = gate();
    registry.aliasGate = slowRead.promise;
    registry.alias = 1;
    const listener = new FakeListener();
    const starting = start(registry, 600_000, listener);
    // The start-up read of v1 is in flight when v2 is promoted.
    const deliver = await eventually(async () => listener.deliver, 2_000);
    deliver(promoted(2));
    slowRead.open();
    const { service } = await starting;
    await eventually(async () => (servingVersion(service) === 2 ? true : undefined), 2_000);
    expect(registry.loads).toEqual([2]);
  });

  it('drops a version that finished loading after a newer promotion arrived', async () => {
    const registry = new FakeRegistry();
    registry.alias = 1;
    const { service, listener } = await start(registry);
    const swapsBefore = await eventSwaps();
    const slowLoad = gate();
    registry.loadGate = slowLoad.promise;
    listener.deliver?.(promoted(2));
    await eventually(async () => (registry.loads.includes(2) ? true : undefined), 2_000);
    listener.deliver?.(promoted(3));
    slowLoad.open();
    await eventually(async () => (servingVersion(service) === 3 ? true : undefined), 2_000);
    expect(registry.loads).toEqual([1, 2, 3]);
    expect((await eventSwaps()) - swapsBefore).toBe(1);
    // v2 never served: disposed as soon as its load finished; v1 once replaced by v3.
    expect(registry.disposed.sort()).toEqual([1, 2]);
  });
});
