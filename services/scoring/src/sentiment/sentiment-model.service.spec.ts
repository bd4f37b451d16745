// The model manager's decisions with the registry and the lifecycle topic replaced by fakes (the
// integration spec drives the real ones): start-up without a model, the alias poll, promotions and
// rollbacks, refusals, the races between events, polls and slow loads, and whose model scores whose
// text (a tenant's own, else the platform's; the teacher on request; least recently used unloaded).
import { create } from '@bufbuild/protobuf';
import { ModelEventSchema, ModelEventType, type ModelEvent } from '@mercato/contracts';
import type { SentimentClassifier, TF } from '@mercato/ml';
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

const PLATFORM = 'platform';

class FakeRegistry {
  /** The platform's production version of NAME. */
  alias: number | undefined;
  /** Other (owner/name) production versions. */
  aliases = new Map<string, number>();
  loads: number[] = [];
  /** Every load as owner/name@version. */
  loaded: string[] = [];
  broken = new Set<number>();
  disposed: number[] = [];
  /** While set, loads wait for it (a slow download). */
  loadGate: Promise<void> | undefined;
  /** While set, alias reads wait for it (a slow registry). */
  aliasGate: Promise<void> | undefined;

  async productionVersion(owner: string, name: string): Promise<number | undefined> {
    const alias = owner === PLATFORM && name === NAME ? this.alias : this.aliases.get(`${owner}/${name}`);
    await this.aliasGate;
    return alias;
  }

  async load(
    _tf: TF,
    owner: string,
    name: string,
    version: number,
    trigger: SwapTrigger,
  ): Promise<ServingModel> {
    if (owner === PLATFORM && name === NAME) this.loads.push(version);
    this.loaded.push(`${owner}/${name}@${version}`);
    await this.loadGate;
    if (this.broken.has(version)) throw new ModelRefusedError(`v${version} is broken`, 'invalid_model');
    const model = {
      architecture: 'student',
      dispose: () => this.disposed.push(version),
    } as unknown as SentimentClassifier;
    return new ServingModel(owner, name, version, model, new Date(), trigger);
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

const promoted = (version: number, model = NAME, tenantId = PLATFORM): ModelEvent =>
  create(ModelEventSchema, {
    eventId: `e-${version}`,
    tenantId,
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

const TEACHER = 'sentiment-unit-teacher';

async function start(
  registry: FakeRegistry,
  pollMs = 600_000,
  listener = new FakeListener(),
  tenantModels = 16,
): Promise<{ service: SentimentModelService; listener: FakeListener }> {
  const config = {
    SENTIMENT_MODEL_NAME: NAME,
    SENTIMENT_TEACHER_MODEL_NAME: TEACHER,
    SENTIMENT_TENANT_MODELS: tenantModels,
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

/** The platform's track of NAME, as status() reports it. */
const platformStatus = (service: SentimentModelService) =>
  service.status().models.find((m) => m.owner === PLATFORM && m.name === NAME);

const servingVersion = (service: SentimentModelService): number | undefined =>
  platformStatus(service)?.serving?.version;

const acquire = (service: SentimentModelService) => service.acquireFor(PLATFORM);

const eventSwaps = async (): Promise<number> =>
  (await sentimentMetrics.swaps.get()).values.find(
    (v) => v.labels.model === NAME && v.labels.trigger === 'event',
  )?.value ?? 0;

describe('SentimentModelService', () => {
  it('starts without a production model and picks up the first one from the alias poll', async () => {
    const registry = new FakeRegistry();
    const { service } = await start(registry, 20);
    expect(platformStatus(service)).toMatchObject({ name: NAME, serving: null, lastRefused: null });
    expect(await acquire(service)).toBeUndefined();
    const installed = service.whenInstalled(PLATFORM);

    registry.alias = 1;
    await installed;
    expect(platformStatus(service)?.serving).toMatchObject({ version: 1, trigger: 'poll' });
    expect(registry.loads).toEqual([1]);
  });

  it('loads the production version at start-up and follows promotions and rollbacks', async () => {
    const registry = new FakeRegistry();
    registry.alias = 1;
    const { service, listener } = await start(registry);
    expect(platformStatus(service)?.serving).toMatchObject({ version: 1, trigger: 'startup' });

    const held = await acquire(service);
    listener.deliver?.(promoted(2));
    await eventually(async () => (servingVersion(service) === 2 ? true : undefined), 2_000);
    expect(platformStatus(service)?.serving?.trigger).toBe('event');
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
    await eventually(async () => (platformStatus(service)?.lastRefused ? true : undefined), 2_000);
    expect(platformStatus(service)).toMatchObject({
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

  it("scores a tenant's text with its own production version, other tenants' with the platform's", async () => {
    const registry = new FakeRegistry();
    registry.alias = 1;
    registry.aliases.set('acme/' + NAME, 7);
    const { service, listener } = await start(registry);

    const acme = await service.acquireFor('acme');
    expect(acme?.model).toMatchObject({ owner: 'acme', version: 7 });
    acme?.release();
    const other = await service.acquireFor('other');
    expect(other?.model).toMatchObject({ owner: PLATFORM, version: 1 });
    other?.release();
    // The alias of each tenant is read once, then followed by events.
    await service.acquireFor('other').then((l) => l?.release());
    expect(registry.loaded.filter((l) => l.startsWith('acme/'))).toEqual([`acme/${NAME}@7`]);

    // Another tenant's promotion never moves acme's model, nor the platform's.
    listener.deliver?.(promoted(9, NAME, 'other'));
    registry.aliases.set('other/' + NAME, 9);
    listener.deliver?.(promoted(8, NAME, 'acme'));
    await eventually(async () => {
      const lease = await service.acquireFor('acme');
      lease?.release();
      return lease?.model.version === 8 ? true : undefined;
    }, 2_000);
    expect(servingVersion(service)).toBe(1);
    expect(
      service.status('acme').models.map((m) => `${m.owner}/${m.name}@${m.serving?.version ?? '-'}`),
    ).toEqual(expect.arrayContaining([`${PLATFORM}/${NAME}@1`, `acme/${NAME}@8`]));
    expect(service.status('acme').models.some((m) => m.owner === 'other')).toBe(false);
  });

  it("names a tenant's own model in its status before any of its texts arrive", async () => {
    const registry = new FakeRegistry();
    registry.alias = 1;
    registry.aliases.set('acme/' + NAME, 5);
    const { service } = await start(registry);
    const owners = (models: { owner: string }[]): string[] => [...new Set(models.map((m) => m.owner))];
    expect(owners(service.status('acme').models)).toEqual([PLATFORM]);
    const status = await service.statusFor('acme');
    expect(status.models.map((m) => `${m.owner}/${m.name}@${m.serving?.version ?? '-'}`)).toEqual(
      expect.arrayContaining([`${PLATFORM}/${NAME}@1`, `acme/${NAME}@5`]),
    );
    // A tenant without a version of its own sees the platform's only.
    expect(owners((await service.statusFor('other')).models)).toEqual([PLATFORM]);
  });

  it('serves the teacher on request, the tenant own one first', async () => {
    const registry = new FakeRegistry();
    registry.alias = 1;
    registry.aliases.set(`${PLATFORM}/${TEACHER}`, 3);
    registry.aliases.set(`acme/${TEACHER}`, 4);
    const { service } = await start(registry);
    const platformTeacher = await service.acquireFor('other', 'teacher');
    expect(platformTeacher?.model).toMatchObject({ owner: PLATFORM, name: TEACHER, version: 3 });
    platformTeacher?.release();
    const acmeTeacher = await service.acquireFor('acme', 'teacher');
    expect(acmeTeacher?.model).toMatchObject({ owner: 'acme', name: TEACHER, version: 4 });
    acmeTeacher?.release();
  });

  it('keeps at most SENTIMENT_TENANT_MODELS tenant models loaded, unloading the least recently used', async () => {
    const registry = new FakeRegistry();
    registry.alias = 1;
    for (const [i, tenant] of ['t1', 't2', 't3'].entries()) registry.aliases.set(`${tenant}/${NAME}`, 10 + i);
    const { service } = await start(registry, 600_000, new FakeListener(), 2);
    for (const tenant of ['t1', 't2', 't3']) (await service.acquireFor(tenant))?.release();
    await eventually(async () => (registry.disposed.includes(10) ? true : undefined), 2_000);
    // t1's model was unloaded; its next text loads it again.
    expect((await service.acquireFor('t1'))?.model.version).toBe(10);
    expect(registry.loaded.filter((l) => l === `t1/${NAME}@10`)).toHaveLength(2);
  });
});
