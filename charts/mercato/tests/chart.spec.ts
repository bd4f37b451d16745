// Policy checks on what the chart renders, for every ci/values-*.yaml case and for the bad value
// combinations validateValues must reject; plus `helm lint --strict`, kubeconform -strict on
// every object (chart and k8s/), and the values documentation. Uses the real helm and
// kubeconform from .mercato/bin (scripts/helm/install-tools.sh): a missing tool fails the run,
// nothing is skipped.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml, stringify as toYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { COMPACTION_CONFIG, Topics } from '@mercato/contracts';

type Obj = Record<string, any>;

const ROOT = path.resolve(__dirname, '../../..');
const CHART = path.join(ROOT, 'charts/mercato');
const BIN = path.join(ROOT, '.mercato/bin');
const HELM = path.join(BIN, 'helm');
const KUBECONFORM = path.join(BIN, 'kubeconform');
const HADOLINT = path.join(BIN, 'hadolint');
const PROMTOOL = path.join(BIN, 'promtool');
const SCHEMAS = path.join(ROOT, '.mercato/kube-schemas');
const KUBE_VERSION = '1.34.0';
const INSTALL_HINT = 'run `bash scripts/helm/install-tools.sh` first';

// The contract the chart encodes (ARCHITECTURE.md): who consumes which topics.
const CONSUMERS: Record<string, string[]> = {
  feature: ['news.raw.v1', 'interactions.raw.v1', 'catalog.items.v1'],
  // interactions.raw.v1 while a recommender retraining trigger is on, models.monitoring.v1 while
  // retraining on drift is on, as both are by default.
  training: ['training.requests.v1', 'interactions.raw.v1', 'models.monitoring.v1'],
  scoring: ['news.enriched.v1', 'features.user.v1'],
  // models.monitoring.v1 for the dashboard's drift panel.
  'sentiment-monitor': ['news.scored.v1', 'models.monitoring.v1'],
};
const SERVICES = ['ingest', 'feature', 'training', 'model-registry', 'scoring', 'sentiment-monitor'];
const HTTP_PORTS: Record<string, number> = {
  ingest: 8081,
  feature: 8082,
  training: 8083,
  'model-registry': 8084,
  scoring: 8085,
  'sentiment-monitor': 8086,
};
const CASES = ['minimal', 'production', 'cpu-only', 'gpu'] as const;
type Case = (typeof CASES)[number];

/** A missing tool fails each test that needs it, by name: nothing is skipped. */
function requireTools() {
  for (const [tool, p] of [
    ['helm', HELM],
    ['kubeconform', KUBECONFORM],
    ['hadolint', HADOLINT],
    ['promtool', PROMTOOL],
  ]) {
    if (!fs.existsSync(p)) throw new Error(`${tool} is missing at ${p}: ${INSTALL_HINT}`);
  }
  if (!fs.existsSync(path.join(SCHEMAS, 'deployment-apps-v1.json'))) {
    throw new Error(`kubeconform schemas are missing in ${SCHEMAS}: ${INSTALL_HINT}`);
  }
}

function run(cmd: string, args: string[], input?: string) {
  requireTools();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} could not run (${r.error.message}): ${INSTALL_HINT}`);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function caseFile(c: Case) {
  return path.join(CHART, 'ci', `values-${c}.yaml`);
}

/** helm template with the given values files and --set flags. */
function template(files: string[], sets: string[] = []) {
  const args = ['template', 'mercato', CHART, '--namespace', 'mercato', '--kube-version', KUBE_VERSION];
  for (const f of files) args.push('-f', f);
  for (const s of sets) args.push('--set', s);
  return run(HELM, args);
}

function parseObjects(manifest: string): Obj[] {
  return parseAllDocuments(manifest)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o && typeof o === 'object' && 'kind' in o);
}

function renderOk(files: string[], sets: string[] = []): { manifest: string; objects: Obj[] } {
  const r = template(files, sets);
  if (r.code !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  return { manifest: r.stdout, objects: parseObjects(r.stdout) };
}

/** Values as the chart sees them: values.yaml deep-merged with the case file. */
function mergedValues(files: string[]): Obj {
  const merge = (a: any, b: any): any => {
    if (b && typeof b === 'object' && !Array.isArray(b) && a && typeof a === 'object' && !Array.isArray(a)) {
      const out = { ...a };
      for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
      return out;
    }
    return b === undefined ? a : b;
  };
  return [path.join(CHART, 'values.yaml'), ...files]
    .map((f) => parseYaml(fs.readFileSync(f, 'utf8')) ?? {})
    .reduce((acc, v) => merge(acc, v), {});
}

const byKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const component = (o: Obj) => o.metadata?.labels?.['app.kubernetes.io/component'];
const workloads = (objects: Obj[]) => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
const podSpec = (o: Obj): Obj => o.spec.template.spec;
const allContainers = (spec: Obj): Obj[] => [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
const selects = (selector: Obj, labels: Obj) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);

describe('tools', () => {
  it('uses the pinned helm v3', () => {
    const r = run(HELM, ['version', '--short']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^v3\.\d+\.\d+/);
  });
});

describe('values.yaml documentation', () => {
  const text = fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8');
  const params = new Set([...text.matchAll(/^\s*## @param (\S+) \S/gm)].map((m) => m[1]));
  const values = parseYaml(text) as Obj;
  const leaves: string[] = [];
  const walk = (v: unknown, p: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) walk(x, p ? `${p}.${k}` : k);
    } else leaves.push(p);
  };
  walk(values, '');

  it('documents every value with a ## @param line (the value itself or the map holding it)', () => {
    const undocumented = leaves.filter((leaf) => {
      const parts = leaf.split('.');
      return !parts.some((_, i) => params.has(parts.slice(0, i + 1).join('.')));
    });
    expect(undocumented).toEqual([]);
  });

  it('has no @param for a value that does not exist', () => {
    const has = (p: string) => {
      // Map keys may contain dots (topic names): walk greedily.
      let node: any = values;
      const parts = p.split('.');
      for (let i = 0; i < parts.length; i++) {
        if (node && typeof node === 'object' && parts[i] in node) node = node[parts[i]];
        else return false;
      }
      return true;
    };
    expect([...params].filter((p) => !has(p))).toEqual([]);
  });

  it('values.schema.json knows every value (typos are rejected)', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'));
    const missing = leaves.filter((leaf) => {
      let node = schema;
      for (const part of leaf.split('.')) {
        if (node?.properties?.[part]) node = node.properties[part];
        else return node?.additionalProperties === false || node?.type !== 'object';
      }
      return false;
    });
    expect(missing).toEqual([]);
  });
});

describe.each(CASES)('case %s', (c) => {
  // Rendered on first use (not in a beforeAll, whose failure would mark the tests skipped).
  let rendered: { manifest: string; objects: Obj[] } | undefined;
  const get = () => (rendered ??= renderOk([caseFile(c)]));
  const values: Obj = mergedValues([caseFile(c)]);

  it('passes helm lint --strict', () => {
    const r = run(HELM, ['lint', CHART, '--strict', '--kube-version', KUBE_VERSION, '-f', caseFile(c)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('validates every object with kubeconform -strict (no missing schema)', () => {
    const { objects, manifest } = get();
    const r = run(
      KUBECONFORM,
      [
        '-strict',
        '-summary',
        '-output',
        'json',
        '-schema-location',
        `${SCHEMAS}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
        '-',
      ],
      manifest,
    );
    const report = JSON.parse(r.stdout);
    expect(report.resources?.filter((x: Obj) => x.status !== 'statusValid') ?? [], r.stdout).toEqual([]);
    expect(report.summary.valid).toBe(objects.length);
    expect(report.summary.skipped).toBe(0);
    expect(r.code).toBe(0);
  });

  it('renders the six services, each with its Deployment, Service, ConfigMap, ServiceAccount and PDB', () => {
    const { objects } = get();
    for (const s of SERVICES) {
      for (const kind of ['Deployment', 'Service', 'ConfigMap', 'ServiceAccount', 'PodDisruptionBudget']) {
        expect(
          byKind(objects, kind).some((o) => component(o) === s),
          `${kind} for ${s}`,
        ).toBe(true);
      }
    }
  });

  it('renders no Secret and takes credentials only from secret references', () => {
    const { objects } = get();
    expect(byKind(objects, 'Secret')).toEqual([]);
    for (const w of workloads(objects)) {
      for (const ctr of allContainers(podSpec(w))) {
        for (const e of ctr.env ?? []) {
          // Secrets arrive as files (*_FILE holds a path) or secretKeyRef, never as a literal value.
          if (/(PASSWORD|SECRET|TOKEN|KEY)$|^DATABASE_URL$/.test(e.name)) {
            expect(e.value, `${w.metadata.name} ${e.name} must not be inline`).toBeUndefined();
          }
        }
      }
    }
    for (const cm of byKind(objects, 'ConfigMap')) {
      for (const [k, v] of Object.entries(cm.data ?? {})) {
        if (/(PASSWORD|SECRET|TOKEN|KEY)$|^DATABASE_URL$/.test(k))
          throw new Error(`${cm.metadata.name} holds ${k}=${String(v)}`);
        expect(String(v)).not.toMatch(/postgres(ql)?:\/\/[^/]*:[^/]*@/);
      }
    }
  });

  it('meets Pod Security Standards "restricted" in every pod', () => {
    const { objects } = get();
    const allowedVolumes = [
      'configMap',
      'csi',
      'downwardAPI',
      'emptyDir',
      'ephemeral',
      'persistentVolumeClaim',
      'projected',
      'secret',
    ];
    for (const w of workloads(objects)) {
      const spec = podSpec(w);
      const name = `${w.kind}/${w.metadata.name}`;
      expect(spec.hostNetwork ?? false, name).toBe(false);
      expect(spec.hostPID ?? false, name).toBe(false);
      expect(spec.hostIPC ?? false, name).toBe(false);
      expect(spec.automountServiceAccountToken, name).toBe(false);
      expect(spec.securityContext?.seccompProfile?.type, name).toBe('RuntimeDefault');
      for (const v of spec.volumes ?? []) {
        const type = Object.keys(v).find((k) => k !== 'name');
        expect(allowedVolumes, `${name} volume ${v.name}`).toContain(type);
      }
      for (const ctr of allContainers(spec)) {
        const sc = ctr.securityContext ?? {};
        const where = `${name} container ${ctr.name}`;
        expect(sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot, where).toBe(true);
        expect(sc.runAsUser ?? spec.securityContext?.runAsUser, where).not.toBe(0);
        expect(sc.allowPrivilegeEscalation, where).toBe(false);
        expect(sc.privileged ?? false, where).toBe(false);
        expect(sc.capabilities?.drop, where).toContain('ALL');
        expect(
          (sc.capabilities?.add ?? []).filter((x: string) => x !== 'NET_BIND_SERVICE'),
          where,
        ).toEqual([]);
        expect(sc.readOnlyRootFilesystem, where).toBe(true);
        expect(sc.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type, where).toBe(
          'RuntimeDefault',
        );
        expect(
          (ctr.ports ?? []).some((p: Obj) => p.hostPort),
          where,
        ).toBe(false);
        // Read-only root: /tmp must be a writable mount.
        expect(
          (ctr.volumeMounts ?? []).some((m: Obj) => m.mountPath === '/tmp'),
          `${where} /tmp`,
        ).toBe(true);
      }
    }
    for (const sa of byKind(objects, 'ServiceAccount')) {
      expect(sa.automountServiceAccountToken, sa.metadata.name).toBe(false);
    }
  });

  it('gives every service probes, resources, topology spread, a PDB and a drain that fits the grace period', () => {
    const { objects } = get();
    const pdbs = byKind(objects, 'PodDisruptionBudget');
    for (const d of byKind(objects, 'Deployment')) {
      const spec = podSpec(d);
      const ctr = spec.containers[0];
      const name = d.metadata.name;
      expect(ctr.startupProbe?.httpGet?.path, name).toBe('/healthz/live');
      expect(ctr.livenessProbe?.httpGet?.path, name).toBe('/healthz/live');
      expect(ctr.readinessProbe?.httpGet?.path, name).toBe('/healthz/ready');
      for (const probe of [ctr.startupProbe, ctr.livenessProbe, ctr.readinessProbe]) {
        expect(probe.httpGet.port, name).toBe('http');
      }
      expect(ctr.ports.find((p: Obj) => p.name === 'http')?.containerPort, name).toBe(
        HTTP_PORTS[component(d)],
      );
      expect(ctr.resources?.requests?.cpu, name).toBeTruthy();
      expect(ctr.resources?.requests?.memory, name).toBeTruthy();
      expect(ctr.resources?.limits?.memory, name).toBeTruthy();
      expect(spec.topologySpreadConstraints?.map((t: Obj) => t.topologyKey).sort(), name).toEqual([
        'kubernetes.io/hostname',
        'topology.kubernetes.io/zone',
      ]);
      const podLabels = d.spec.template.metadata.labels;
      expect(
        pdbs.filter((p) => selects(p.spec.selector, podLabels)),
        `PDB for ${name}`,
      ).toHaveLength(1);

      const cm = byKind(objects, 'ConfigMap').find(
        (x) => x.metadata.name === ctr.envFrom[0].configMapRef.name,
      );
      expect(cm, `ConfigMap of ${name}`).toBeTruthy();
      expect(cm!.data.HTTP_HOST).toBe('0.0.0.0');
      expect(Number(cm!.data.HTTP_PORT)).toBe(HTTP_PORTS[component(d)]);
      const drainMs = ctr.lifecycle.preStop.sleep.seconds * 1000 + Number(cm!.data.SHUTDOWN_TIMEOUT_MS);
      expect(ctr.lifecycle.preStop.sleep.seconds, name).toBeGreaterThan(0);
      expect(drainMs, `${name}: preStop + SHUTDOWN_TIMEOUT_MS < grace`).toBeLessThan(
        spec.terminationGracePeriodSeconds * 1000,
      );
    }
  });

  it('schedules training on GPU nodes only in GPU mode, and nothing else there', () => {
    const { objects } = get();
    const gpuKey = values.gpuNodes.labelKey;
    const taintKey = values.gpuNodes.taint.key;
    const gpuOn = values.training.gpu.enabled;
    const requestsGpu = (ctr: Obj) =>
      ctr.resources?.requests?.['nvidia.com/gpu'] !== undefined ||
      ctr.resources?.limits?.['nvidia.com/gpu'] !== undefined;
    const tolerates = (spec: Obj) => (spec.tolerations ?? []).some((t: Obj) => t.key === taintKey);
    const selectsGpu = (spec: Obj) =>
      spec.nodeSelector?.[gpuKey] !== undefined ||
      (
        spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []
      ).some((t: Obj) =>
        (t.matchExpressions ?? []).some((e: Obj) => e.key === gpuKey && e.operator === 'In'),
      );
    const avoidsGpu = (spec: Obj) =>
      (
        spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []
      ).every((t: Obj) =>
        (t.matchExpressions ?? []).some(
          (e: Obj) =>
            e.key === gpuKey && e.operator === 'NotIn' && e.values.includes(values.gpuNodes.labelValue),
        ),
      ) &&
      (spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
        .length > 0;

    const training = byKind(objects, 'Deployment').find((d) => component(d) === 'training')!;
    const tSpec = podSpec(training);
    const tCtr = tSpec.containers[0];
    const cpuImage = podSpec(byKind(objects, 'Deployment').find((d) => component(d) === 'ingest')!)
      .containers[0].image;
    const tConfig = byKind(objects, 'ConfigMap').find((x) => component(x) === 'training')!;

    if (gpuOn) {
      const count = values.training.gpu.count;
      expect(tCtr.resources.requests['nvidia.com/gpu']).toBe(count);
      expect(tCtr.resources.limits['nvidia.com/gpu']).toBe(count);
      expect(tSpec.nodeSelector?.[gpuKey]).toBe(values.gpuNodes.labelValue);
      expect(selectsGpu(tSpec)).toBe(true);
      expect(tSpec.tolerations).toContainEqual({
        key: taintKey,
        operator: 'Equal',
        value: values.gpuNodes.taint.value,
        effect: values.gpuNodes.taint.effect,
      });
      expect(tCtr.image).not.toBe(cpuImage);
      expect(tCtr.image).toContain(values.training.gpu.image.repository);
      expect(tConfig.data.TF_BACKEND).toBe('tensorflow-gpu');
    } else {
      expect(requestsGpu(tCtr)).toBe(false);
      expect(tolerates(tSpec)).toBe(false);
      expect(selectsGpu(tSpec)).toBe(false);
      expect(tCtr.image).toBe(cpuImage);
      expect(tConfig.data.TF_BACKEND).toBe('tensorflow');
      expect(avoidsGpu(tSpec)).toBe(true);
    }
    for (const w of workloads(objects)) {
      if (w === training) continue;
      const spec = podSpec(w);
      const name = `${w.kind}/${w.metadata.name}`;
      for (const ctr of allContainers(spec)) expect(requestsGpu(ctr), `${name} requests a GPU`).toBe(false);
      expect(tolerates(spec), `${name} tolerates the GPU taint`).toBe(false);
      expect(selectsGpu(spec), `${name} selects GPU nodes`).toBe(false);
      if (values.gpuNodes.keepOtherPodsOff) expect(avoidsGpu(spec), `${name} keeps off GPU nodes`).toBe(true);
    }
  });

  it('scales every Kafka consumer with a ScaledObject within the partitions of the topics it reads', () => {
    const { objects } = get();
    const scaled = byKind(objects, 'ScaledObject');
    const deployments = byKind(objects, 'Deployment');
    for (const [svc, topics] of Object.entries(CONSUMERS)) {
      const deploy = deployments.find((d) => component(d) === svc)!;
      const so = scaled.filter((s) => s.spec.scaleTargetRef.name === deploy.metadata.name);
      expect(so, `ScaledObject for ${svc}`).toHaveLength(1);
      const kafka = so[0].spec.triggers.filter((t: Obj) => t.type === 'kafka');
      expect(kafka.map((t: Obj) => t.metadata.topic).sort(), svc).toEqual([...topics].sort());
      for (const t of kafka) {
        expect(t.metadata.consumerGroup).toBe(`mercato-${svc}`);
        expect(Number(t.metadata.lagThreshold)).toBeGreaterThan(0);
        expect(t.metadata.activationLagThreshold).toMatch(/^\d+$/);
        expect(t.metadata.bootstrapServers).toBe(values.kafka.brokers.join(','));
      }
      const smallest = Math.min(...topics.map((t) => values.kafka.partitions[t]));
      expect(
        so[0].spec.maxReplicaCount,
        `${svc} maxReplicaCount vs ${smallest} partitions`,
      ).toBeLessThanOrEqual(smallest);
      expect(
        so[0].spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds,
      ).toBeGreaterThan(0);
      // KEDA owns the replica count.
      expect(deploy.spec.replicas, svc).toBeUndefined();
    }
    // Only consumers get one.
    expect(scaled.map((s) => component(s)).sort()).toEqual(Object.keys(CONSUMERS).sort());
  });

  it('turns the recommender retraining triggers on by default, and stops reading interactions when both are off', () => {
    const training = (objects: Obj[]) =>
      byKind(objects, 'ConfigMap').find((x) => x.metadata.name === 'mercato-training')!.data;
    const lagTopics = (objects: Obj[]) =>
      byKind(objects, 'ScaledObject')
        .find((x) => x.metadata.name === 'mercato-training')!
        .spec.triggers.filter((t: Obj) => t.type === 'kafka')
        .map((t: Obj) => t.metadata.topic);
    const { retrain } = values.training;
    expect(retrain.afterInteractions).toBeGreaterThan(0);
    expect(retrain.intervalSeconds).toBeGreaterThan(0);
    expect(training(get().objects)).toMatchObject({
      RECOMMENDER_RETRAIN_AFTER_INTERACTIONS: String(retrain.afterInteractions),
      RECOMMENDER_RETRAIN_INTERVAL_S: String(retrain.intervalSeconds),
      RECOMMENDER_RETRAIN_HOLDOUT_S: String(retrain.holdoutSeconds),
      RETRAIN_ON_DRIFT: 'true',
      RETRAIN_AFTER_FEEDBACK: String(retrain.afterFeedback),
    });
    const off = renderOk(
      [caseFile(c)],
      [
        'training.retrain.afterInteractions=0',
        'training.retrain.intervalSeconds=0',
        'training.retrain.tenants={a,b}',
        'training.retrain.onDrift=false',
        'training.retrain.afterFeedback=0',
      ],
    ).objects;
    expect(training(off)).toMatchObject({
      RECOMMENDER_RETRAIN_AFTER_INTERACTIONS: '0',
      RECOMMENDER_RETRAIN_INTERVAL_S: '0',
      RECOMMENDER_RETRAIN_TENANTS: 'a,b',
      RETRAIN_ON_DRIFT: 'false',
      RETRAIN_AFTER_FEEDBACK: '0',
    });
    if (values.keda.enabled) expect(lagTopics(off)).toEqual(['training.requests.v1']);
  });

  it("gives the registry each kind's promotion policy (metric, margin, minimum sample)", () => {
    const registry = byKind(get().objects, 'ConfigMap').find(
      (x) => x.metadata.name === 'mercato-model-registry',
    )!;
    expect(registry.data).toMatchObject({
      PROMOTION_POLICY_SENTIMENT: values.modelRegistry.promotionPolicy.sentiment,
      PROMOTION_POLICY_RECOMMENDER: values.modelRegistry.promotionPolicy.recommender,
    });
    expect(values.modelRegistry.promotionPolicy.sentiment).toMatch(/^macro_f1:[\d.]+:higher:\d+$/);
  });

  it('scales ingest and scoring on CPU with scale-down stabilization, never with two autoscalers', () => {
    const { objects } = get();
    const hpas = byKind(objects, 'HorizontalPodAutoscaler');
    const scaled = byKind(objects, 'ScaledObject');
    const ingest = hpas.find((h) => h.spec.scaleTargetRef.name === 'mercato-ingest');
    expect(ingest?.apiVersion).toBe('autoscaling/v2');
    expect(ingest?.spec.metrics[0].resource.name).toBe('cpu');
    expect(ingest?.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThan(0);
    const scoring = scaled.find((s) => s.spec.scaleTargetRef.name === 'mercato-scoring')!;
    expect(scoring.spec.triggers.some((t: Obj) => t.type === 'cpu' && t.metricType === 'Utilization')).toBe(
      true,
    );
    const targets = [
      ...hpas.map((h) => h.spec.scaleTargetRef.name),
      ...scaled.map((s) => s.spec.scaleTargetRef.name),
    ];
    expect(new Set(targets).size).toBe(targets.length);
  });

  it('denies by default, then opens only the documented flows', () => {
    const { objects } = get();
    const policies = byKind(objects, 'NetworkPolicy');
    const deny = policies.find((p) => p.metadata.name === 'mercato-default-deny');
    expect(deny).toBeTruthy();
    expect(deny!.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(deny!.spec.ingress).toBeUndefined();
    expect(deny!.spec.egress).toBeUndefined();
    for (const w of workloads(objects)) {
      const labels = w.spec.template.metadata.labels;
      expect(selects(deny!.spec.podSelector, labels), `default deny selects ${w.metadata.name}`).toBe(true);
      const own = policies.filter((p) => p !== deny && selects(p.spec.podSelector, labels));
      expect(own.length, `allow policy for ${w.metadata.name}`).toBeGreaterThan(0);
      const egress = own.flatMap((p) => p.spec.egress ?? []);
      const egressPorts = egress.flatMap((r: Obj) => (r.ports ?? []).map((p: Obj) => p.port));
      expect(egressPorts, `${w.metadata.name} DNS`).toContain(53);
      expect(egressPorts, `${w.metadata.name} Kafka`).toEqual(
        expect.arrayContaining(values.networkPolicy.kafka.ports),
      );
      expect(egressPorts, `${w.metadata.name} Postgres`).toContain(5432);
      // Nothing opens egress to everywhere.
      for (const r of egress)
        expect(r.to?.length, `${w.metadata.name} egress rule without peers`).toBeGreaterThan(0);
    }
    const policyOf = (svc: string) => policies.find((p) => p.metadata.name === `mercato-${svc}`)!;
    const egressTo = (svc: string, target: string) =>
      (policyOf(svc).spec.egress ?? []).some((r: Obj) =>
        (r.to ?? []).some((t: Obj) => t.podSelector?.matchLabels?.['app.kubernetes.io/component'] === target),
      );
    expect(egressTo('training', 'feature')).toBe(true);
    expect(egressTo('training', 'model-registry')).toBe(true);
    expect(egressTo('scoring', 'model-registry')).toBe(true);
    // Scoring polls the feature service's popular/trending items for users without history.
    expect(egressTo('scoring', 'feature')).toBe(true);
    expect(egressTo('ingest', 'scoring')).toBe(false);
    // The monitor passes analysts' label corrections (dashboard) to the feature service.
    expect(egressTo('sentiment-monitor', 'feature')).toBe(true);
    expect(egressTo('sentiment-monitor', 'scoring')).toBe(false);
    const ingressFrom = (svc: string, caller: string) =>
      (policyOf(svc).spec.ingress ?? []).some((r: Obj) =>
        (r.from ?? []).some(
          (f: Obj) => f.podSelector?.matchLabels?.['app.kubernetes.io/component'] === caller,
        ),
      );
    expect(ingressFrom('feature', 'training')).toBe(true);
    expect(ingressFrom('model-registry', 'scoring')).toBe(true);
    expect(ingressFrom('feature', 'scoring')).toBe(true);
    expect(ingressFrom('feature', 'sentiment-monitor')).toBe(true);
    expect(ingressFrom('feature', 'ingest')).toBe(false);
    // Internal services take no traffic from outside the release but Prometheus.
    for (const svc of ['feature', 'training']) {
      const fromNamespaces = (policyOf(svc).spec.ingress ?? [])
        .flatMap((r: Obj) => r.from ?? [])
        .filter((f: Obj) => f.namespaceSelector);
      expect(fromNamespaces, svc).toEqual(values.metrics.enabled ? values.networkPolicy.prometheusPeers : []);
    }
  });

  it('creates topics and runs migrations in pre-install/pre-upgrade hook Jobs', () => {
    const { objects } = get();
    const jobs = byKind(objects, 'Job');
    const hook = (j: Obj) => j.metadata.annotations?.['helm.sh/hook'];
    const args = (j: Obj) => podSpec(j).containers[0].args.join(' ');
    const topics = jobs.find((j) => args(j).includes('topics create'));
    expect(topics && hook(topics)).toBe('pre-install,pre-upgrade');
    expect(args(topics!)).toBe('node dist/scripts/cli/src/main.js topics create');
    const migrated = jobs.filter((j) => args(j).includes(' migrate ')).map((j) => args(j).split(' ').pop());
    // Every service that owns tables (has a migrations folder), and no other.
    const owners = fs
      .readdirSync(path.join(ROOT, 'services'))
      .filter((s) => fs.existsSync(path.join(ROOT, 'services', s, 'migrations')));
    expect(migrated.sort()).toEqual(owners.sort());
    for (const j of jobs) {
      expect(hook(j)).toBe('pre-install,pre-upgrade');
      expect(Number(j.metadata.annotations['helm.sh/hook-weight'])).toBeGreaterThanOrEqual(
        Number(topics!.metadata.annotations['helm.sh/hook-weight']),
      );
    }
    // Their NetworkPolicy is a hook too, created before them.
    const setupPolicy = byKind(objects, 'NetworkPolicy').find((p) => p.metadata.name === 'mercato-setup');
    expect(setupPolicy?.metadata.annotations['helm.sh/hook-weight']).toBe('-10');
  });

  it('points every service at the same image entrypoint contract', () => {
    const { objects } = get();
    for (const d of byKind(objects, 'Deployment')) {
      expect(podSpec(d).containers[0].args).toEqual(['node', `dist/services/${component(d)}/src/main.js`]);
    }
  });

  it('exposes metrics by annotations or ServiceMonitor, not both', () => {
    const { objects } = get();
    const monitors = byKind(objects, 'ServiceMonitor');
    const annotated = byKind(objects, 'Deployment').filter(
      (d) => d.spec.template.metadata.annotations?.['prometheus.io/scrape'] === 'true',
    );
    if (values.metrics.serviceMonitor.enabled) {
      expect(monitors).toHaveLength(SERVICES.length);
      expect(annotated).toEqual([]);
    } else {
      expect(monitors).toEqual([]);
      expect(annotated).toHaveLength(SERVICES.length);
    }
  });
});

describe('alerts (PrometheusRule) and the Grafana dashboard', () => {
  // Rendered on first use, as in the cases above.
  let rendered: Obj[] | undefined;
  const objects = () => (rendered ??= renderOk([caseFile('production')]).objects);
  const rule = () => byKind(objects(), 'PrometheusRule')[0] as Obj;
  const rules = (): Obj[] => rule().spec.groups.flatMap((g: Obj) => g.rules as Obj[]);
  const alerts = () => rules().filter((r) => r.alert);
  const dashboardFile = JSON.parse(
    fs.readFileSync(path.join(CHART, 'dashboards/mercato.json'), 'utf8'),
  ) as Obj;
  const panels = (): Obj[] => dashboardFile.panels.filter((p: Obj) => p.type !== 'row');
  const dashboardExprs = (): string[] =>
    panels().flatMap((p) => (p.targets as Obj[]).map((t) => t.expr as string));

  // Metric names the services declare: the first argument of counter(/gauge(/histogram( in libs/
  // and services/ (a histogram also exports _bucket, _count and _sum).
  const declared = (() => {
    const names = new Set<string>();
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'node_modules' && e.name !== 'gen') walk(p);
        } else if (e.name.endsWith('.ts') && !/\.(spec|int-spec)\.ts$/.test(e.name)) {
          for (const m of fs
            .readFileSync(p, 'utf8')
            .matchAll(/\b(counter|gauge|histogram)\(\s*'([a-z_:]+)'/g)) {
            names.add(m[2]);
            if (m[1] === 'histogram')
              for (const suffix of ['_bucket', '_count', '_sum']) names.add(m[2] + suffix);
          }
        }
      }
    };
    walk(path.join(ROOT, 'libs'));
    walk(path.join(ROOT, 'services'));
    return names;
  })();
  // Metrics of exporters outside the services, each documented in docs/runbook.md ("Alerts").
  const EXTERNAL = new Set(['kafka_consumergroup_lag', 'kube_pod_status_ready']);
  const PROMQL_WORDS = new Set([
    'by',
    'without',
    'on',
    'ignoring',
    'group_left',
    'group_right',
    'and',
    'or',
    'unless',
    'bool',
    'offset',
    'le',
  ]);
  /** Metric names an expression reads: identifiers outside label matchers, strings and ranges that are not functions or keywords. */
  const metricsOf = (expr: string) =>
    [
      ...expr
        .replace(/"[^"]*"/g, '""')
        .replace(/\{[^}]*\}/g, '')
        .replace(/\[[^\]]*\]/g, '')
        .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '')
        .matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g),
    ]
      .filter((m) => !m[2] && !PROMQL_WORDS.has(m[1]))
      .map((m) => m[1]);
  const recorded = () =>
    new Set(
      rules()
        .filter((r) => r.record)
        .map((r) => r.record as string),
    );

  it('renders one PrometheusRule and the dashboard ConfigMap with the sidecar label', () => {
    expect(byKind(objects(), 'PrometheusRule')).toHaveLength(1);
    expect(rule().metadata.labels.release).toBe('kube-prometheus-stack');
    const cm = byKind(objects(), 'ConfigMap').find((c) => component(c) === 'dashboard');
    expect(cm?.metadata.labels.grafana_dashboard).toBe('1');
    expect(cm?.metadata.annotations.grafana_folder).toBe('Mercato');
    expect(JSON.parse(cm?.data['mercato.json'])).toEqual(dashboardFile);
  });

  it('alerts on every failure the runbook covers, each with a severity, a summary and its runbook section', () => {
    const names = new Set(alerts().map((a) => a.alert as string));
    for (const name of [
      'MercatoConsumerLagGrowing',
      'MercatoDeadLetters',
      'MercatoRecsErrorBudgetBurn',
      'MercatoRecsLatencyBudgetBurn',
      'MercatoModelSwapRefused',
      'MercatoRecommenderRolledBack',
      'MercatoTrainingFailed',
      'MercatoWebhookDeliveriesFailing',
      'MercatoReadinessFlapping',
    ]) {
      expect(names, name).toContain(name);
    }
    const runbook = fs.readFileSync(path.join(ROOT, 'docs/runbook.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
        m[1]
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const base = mergedValues([caseFile('production')]).metrics.prometheusRule.runbookUrl as string;
    for (const a of alerts()) {
      expect(['warning', 'critical'], a.alert).toContain(a.labels.severity);
      expect(a.annotations.summary, a.alert).toBeTruthy();
      const url = a.annotations.runbook_url as string;
      expect(url.startsWith(`${base}#`), url).toBe(true);
      expect(anchors, `${a.alert}: docs/runbook.md has no section for ${url}`).toContain(url.split('#')[1]);
    }
  });

  it('reads only metrics the services declare, their recording rules, or the two documented exporters', () => {
    const exprs = [...rules().map((r) => r.expr as string), ...dashboardExprs()];
    const unknown = exprs
      .flatMap(metricsOf)
      .filter((m) => !declared.has(m) && !EXTERNAL.has(m) && !recorded().has(m));
    expect(declared.size).toBeGreaterThan(40);
    expect(unknown).toEqual([]);
  });

  it('keeps the latency SLO threshold on a bucket boundary of mercato_recs_request_seconds', () => {
    const source = fs.readFileSync(
      path.join(ROOT, 'services/scoring/src/recommendations/recs-metrics.ts'),
      'utf8',
    );
    const buckets = /'mercato_recs_request_seconds',[\s\S]*?\[(?:'[a-z]+'(?:, )?)*\],\s*\[([^\]]+)\]/.exec(
      source,
    )?.[1];
    expect(buckets).toBeTruthy();
    const schema = JSON.parse(fs.readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'));
    expect(
      schema.properties.metrics.properties.prometheusRule.properties.recs.properties.latencySeconds.enum,
    ).toEqual(buckets!.split(',').map(Number));
  });

  it('passes promtool check rules, and the promtool unit tests of every alert', () => {
    const dir = fs.mkdtempSync(path.join(ROOT, '.mercato/promtool-'));
    try {
      fs.writeFileSync(path.join(dir, 'rules-full.yaml'), toYaml({ groups: rule().spec.groups }));
      const check = run(PROMTOOL, ['check', 'rules', path.join(dir, 'rules-full.yaml')]);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toMatch(new RegExp(`SUCCESS: ${rules().length} rules found`));
      // Annotations are checked above; without them the unit tests state labels and timing only.
      const bare = rule().spec.groups.map((g: Obj) => ({
        ...g,
        rules: g.rules.map(({ annotations: _a, ...r }: Obj) => r),
      }));
      fs.writeFileSync(path.join(dir, 'rules.yaml'), toYaml({ groups: bare }));
      const testFile = path.join(CHART, 'tests/prometheus/alerts.test.yaml');
      fs.copyFileSync(testFile, path.join(dir, 'alerts.test.yaml'));
      const unit = run(PROMTOOL, ['test', 'rules', path.join(dir, 'alerts.test.yaml')]);
      expect(unit.code, unit.stdout + unit.stderr).toBe(0);
      expect(unit.stdout).toMatch(/SUCCESS/);
      const tested = new Set(
        [...fs.readFileSync(testFile, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]),
      );
      expect(
        alerts()
          .map((a) => a.alert)
          .filter((a) => !tested.has(a)),
      ).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has a dashboard whose queries parse (promtool), with unique panels laid out on the 24-column grid', () => {
    expect(dashboardFile.uid).toBe('mercato-overview');
    const variables = new Set((dashboardFile.templating.list as Obj[]).map((v) => v.name as string));
    expect([...variables].sort()).toEqual(['datasource', 'namespace']);
    const all = dashboardFile.panels as Obj[];
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    const cells = new Set<string>();
    for (const p of all) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, `panel ${p.title}`).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `panel ${p.title} overlaps another at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
    }
    for (const p of panels()) {
      expect(p.datasource.uid, p.title).toBe('${datasource}');
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets as Obj[]) {
        const external = metricsOf(t.expr).some((m) => EXTERNAL.has(m));
        if (!external) expect(t.expr, p.title).toContain('namespace="$namespace"');
      }
    }
    const dir = fs.mkdtempSync(path.join(ROOT, '.mercato/promtool-'));
    try {
      const exprs = dashboardExprs().map((e, i) => ({
        record: `dashboard:query_${i}`,
        expr: e.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', 'mercato'),
      }));
      fs.writeFileSync(
        path.join(dir, 'dashboard.yaml'),
        toYaml({ groups: [{ name: 'dashboard', rules: exprs }] }),
      );
      const r = run(PROMTOOL, ['check', 'rules', path.join(dir, 'dashboard.yaml')]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renders neither without metrics, and refuses them with metrics off', () => {
    const { objects: none } = renderOk([caseFile('minimal')]);
    expect(byKind(none, 'PrometheusRule')).toEqual([]);
    expect(byKind(none, 'ConfigMap').filter((c) => component(c) === 'dashboard')).toEqual([]);
    const r = template(
      [caseFile('minimal')],
      ['metrics.enabled=false', 'metrics.prometheusRule.enabled=true'],
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/metrics\.prometheusRule\.enabled: needs metrics\.enabled=true/);
  });
});

describe('other switches', () => {
  const minimal = caseFile('minimal');

  it('without KEDA: no ScaledObject, HPAs for ingest and scoring, fixed replicas for the rest', () => {
    const { objects } = renderOk([minimal], ['keda.enabled=false']);
    expect(byKind(objects, 'ScaledObject')).toEqual([]);
    expect(byKind(objects, 'TriggerAuthentication')).toEqual([]);
    expect(
      byKind(objects, 'HorizontalPodAutoscaler')
        .map((h) => component(h))
        .sort(),
    ).toEqual(['ingest', 'scoring']);
    const replicas = Object.fromEntries(
      byKind(objects, 'Deployment').map((d) => [component(d), d.spec.replicas]),
    );
    expect(replicas).toMatchObject({ feature: 2, training: 1, 'model-registry': 1, 'sentiment-monitor': 2 });
    expect(replicas.ingest).toBeUndefined();
    expect(replicas.scoring).toBeUndefined();
  });

  it('scoring.shards: a StatefulSet of one pod per tenant shard, a headless Service, no autoscaler, shards may call each other', () => {
    const { objects, manifest } = renderOk([minimal], ['scoring.shards=3']);
    expect(byKind(objects, 'Deployment').map(component)).not.toContain('scoring');
    const sts = byKind(objects, 'StatefulSet').find((o) => component(o) === 'scoring')!;
    expect(sts.spec).toMatchObject({
      replicas: 3,
      serviceName: 'mercato-scoring-shards',
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
    });
    const env = podSpec(sts).containers[0].env as Obj[];
    expect(env.find((e) => e.name === 'RECS_SHARDS')?.value).toBe('3');
    expect(env.find((e) => e.name === 'RECS_SHARD')?.valueFrom).toEqual({
      fieldRef: { fieldPath: 'metadata.name' },
    });
    expect(env.find((e) => e.name === 'RECS_SHARD_URLS')?.value).toBe(
      [0, 1, 2].map((i) => `http://mercato-scoring-${i}.mercato-scoring-shards.mercato.svc:8085`).join(','),
    );
    const headless = byKind(objects, 'Service').find((o) => o.metadata.name === 'mercato-scoring-shards')!;
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    // The main Service spreads over every pod: each one answers any tenant (its own, or forwarded).
    const main = byKind(objects, 'Service').find((o) => o.metadata.name === 'mercato-scoring')!;
    expect(selects({ matchLabels: main.spec.selector }, sts.spec.template.metadata.labels as Obj)).toBe(true);
    const podLabels = sts.spec.template.metadata.labels as Obj;
    expect(selects({ matchLabels: headless.spec.selector }, podLabels)).toBe(true);
    expect(
      [...byKind(objects, 'ScaledObject'), ...byKind(objects, 'HorizontalPodAutoscaler')].map(component),
    ).not.toContain('scoring');
    const policy = byKind(objects, 'NetworkPolicy').find((o) => component(o) === 'scoring')!;
    const scoringPods = (peer: Obj) =>
      peer.podSelector?.matchLabels?.['app.kubernetes.io/component'] === 'scoring' &&
      selects(peer.podSelector, podLabels);
    expect((policy.spec.ingress as Obj[]).some((r) => (r.from as Obj[]).some(scoringPods))).toBe(true);
    expect(
      (policy.spec.egress as Obj[]).some(
        (r) => (r.to as Obj[]).some(scoringPods) && (r.ports as Obj[]).some((p) => p.port === 8085),
      ),
    ).toBe(true);
    // Valid objects (kubeconform -strict), and one shard renders the Deployment as before.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mercato-shards-'));
    try {
      fs.writeFileSync(path.join(dir, 'shards.yaml'), manifest);
      const r = run(KUBECONFORM, [
        '-strict',
        '-summary',
        '-schema-location',
        `${SCHEMAS}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
        '-skip',
        'ScaledObject,TriggerAuthentication,ServiceMonitor,PrometheusRule',
        path.join(dir, 'shards.yaml'),
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(byKind(renderOk([minimal]).objects, 'StatefulSet')).toEqual([]);
  });

  it('scoring.recsTenants: the tenants every shard balances, one list in the ConfigMap', () => {
    const scoringConfig = (objects: Obj[]) =>
      byKind(objects, 'ConfigMap').find((x) => component(x) === 'scoring')!.data as Obj;
    expect(scoringConfig(renderOk([minimal]).objects)).not.toHaveProperty('RECS_TENANTS');
    const { objects } = renderOk(
      [minimal],
      ['scoring.shards=3', 'scoring.recsTenants={acme,globex,initech}'],
    );
    expect(scoringConfig(objects).RECS_TENANTS).toBe('acme,globex,initech');
    const bad = template([minimal], ['scoring.recsTenants={Not A Tenant}']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/recsTenants/);
  });

  it('model signing: training mounts its signing key, scoring the trusted public keys; neither by default', () => {
    const off = renderOk([minimal]).objects;
    const env = (objects: Obj[], svc: string) =>
      byKind(objects, 'ConfigMap').find((x) => component(x) === svc)!.data;
    expect(env(off, 'training')).not.toHaveProperty('MODEL_SIGNING_KEY_FILE');
    expect(env(off, 'scoring')).not.toHaveProperty('MODEL_VERIFY_KEYS_DIR');
    const { objects } = renderOk(
      [minimal],
      [
        'modelSigning.signingKey.existingSecret=mercato-model-signing',
        'modelSigning.signingKey.keyId=mercato-2026-07',
        'modelSigning.trustedKeys.existingSecret=mercato-model-keys',
      ],
    );
    expect(env(objects, 'training')).toMatchObject({
      MODEL_SIGNING_KEY_FILE: '/var/run/secrets/mercato/model-signing/key.pem',
      MODEL_SIGNING_KEY_ID: 'mercato-2026-07',
    });
    expect(env(objects, 'scoring').MODEL_VERIFY_KEYS_DIR).toBe('/var/run/secrets/mercato/model-keys');
    const volumes = (svc: string) =>
      byKind(objects, 'Deployment').find((d) => component(d) === svc)!.spec.template.spec.volumes as Obj[];
    expect(volumes('training').find((v) => v.name === 'model-signing')?.secret).toMatchObject({
      secretName: 'mercato-model-signing',
      items: [{ key: 'signing-key.pem', path: 'key.pem' }],
    });
    expect(volumes('scoring').find((v) => v.name === 'model-keys')?.secret.secretName).toBe(
      'mercato-model-keys',
    );
    expect(volumes('ingest').map((v) => v.name)).not.toContain('model-keys');
  });

  it('a disabled service renders nothing of its own', () => {
    const { objects } = renderOk([minimal], ['sentimentMonitor.enabled=false']);
    expect(objects.filter((o) => component(o) === 'sentiment-monitor')).toEqual([]);
  });

  it('OTLP export adds the endpoint and an egress rule to the collector', () => {
    // A values file: --set would pass the ratio as a string.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mercato-chart-'));
    const tracing = path.join(dir, 'tracing.yaml');
    fs.writeFileSync(
      tracing,
      toYaml({
        otel: { sampler: 'parentbased_traceidratio', samplerArg: 0.05 },
        sentimentMonitor: { traceUiUrl: 'http://jaeger:16686/trace/{traceId}' },
      }),
    );
    const { objects } = renderOk(
      [minimal, tracing],
      ['otel.endpoint=http://otel-collector.observability.svc:4318'],
    );
    fs.rmSync(dir, { recursive: true });
    const cm = byKind(objects, 'ConfigMap').find((x) => component(x) === 'scoring')!;
    expect(cm.data.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector.observability.svc:4318');
    expect(cm.data.OTEL_SERVICE_NAME).toBe('scoring');
    expect(cm.data).toMatchObject({
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.05',
      TRACES_HOT_ROUTE_RATIO: '0.01',
    });
    const monitor = byKind(objects, 'ConfigMap').find((x) => component(x) === 'sentiment-monitor')!;
    expect(monitor.data.TRACE_UI_URL).toBe('http://jaeger:16686/trace/{traceId}');
    expect(cm.data.TRACE_UI_URL).toBeUndefined();
    const np = byKind(objects, 'NetworkPolicy').find((p) => p.metadata.name === 'mercato-scoring')!;
    expect(np.spec.egress.flatMap((r: Obj) => (r.ports ?? []).map((p: Obj) => p.port))).toContain(4318);
  });

  it('Ingress exposes the four public APIs (scoring over HTTP and gRPC) and nothing internal', () => {
    const { objects } = renderOk([caseFile('production')]);
    const hosts = byKind(objects, 'Ingress')
      .map((i) => i.spec.rules[0].host)
      .sort();
    expect(hosts).toEqual([
      'api.mercato.example.com',
      'grpc.mercato.example.com',
      'ingest.mercato.example.com',
      'registry.mercato.example.com',
      'sentiment.mercato.example.com',
    ]);
    const grpc = byKind(objects, 'Ingress').find((i) => i.spec.rules[0].host === 'grpc.mercato.example.com')!;
    expect(grpc.metadata.annotations['nginx.ingress.kubernetes.io/backend-protocol']).toBe('GRPC');
    expect(grpc.spec.rules[0].http.paths[0].backend.service).toEqual({
      name: 'mercato-scoring',
      port: { name: 'grpc' },
    });
  });
});

describe('validateValues and values.schema.json reject bad combinations', () => {
  const minimal = caseFile('minimal');
  const bad: Array<[string, string[], RegExp]> = [
    [
      'no database secret',
      ['database.existingSecret='],
      /database\.existingSecret: ingest needs a Secret with the Postgres URL/,
    ],
    [
      'GPU enabled without a GPU image',
      ['training.gpu.enabled=true', 'training.gpu.image.repository='],
      /training\.gpu\.image\.repository: training\.gpu\.enabled=true needs the GPU image/,
    ],
    [
      'KEDA maxReplicaCount above the partitions',
      ['feature.autoscaling.keda.maxReplicaCount=8'],
      /feature\.autoscaling\.keda\.maxReplicaCount: 8 is more than the 6 partition\(s\) of news\.raw\.v1/,
    ],
    [
      'fewer partitions than the KEDA maximum',
      ['kafka.partitions.catalog\\.items\\.v1=3'],
      /feature\.autoscaling\.keda\.maxReplicaCount: 6 is more than the 3 partition\(s\) of catalog\.items\.v1/,
    ],
    [
      'training scaled past its single partition',
      ['training.autoscaling.keda.maxReplicaCount=2'],
      /training\.autoscaling\.keda\.maxReplicaCount: 2 is more than the 1 partition\(s\) of training\.requests\.v1/,
    ],
    [
      'fixed replicas above the partitions (KEDA off)',
      ['keda.enabled=false', 'feature.replicaCount=8'],
      /feature\.replicaCount: 8 is more than the 6 partition\(s\) of news\.raw\.v1 that feature reads/,
    ],
    [
      'a GPU asked for without GPU mode (no GPU node selector)',
      ['training.gpu.enabled=false', 'training.resources.limits.nvidia\\.com/gpu=1'],
      /training\.resources: asks for nvidia\.com\/gpu while training\.gpu\.enabled=false, so the pod gets no GPU node selector/,
    ],
    [
      'a GPU asked for by a service that never runs on GPU nodes',
      ['scoring.resources.requests.nvidia\\.com/gpu=1'],
      /scoring\.resources: asks for nvidia\.com\/gpu, but only training is scheduled on GPU nodes/,
    ],
    [
      'a GPU count given twice',
      ['training.resources.limits.nvidia\\.com/gpu=2'],
      /training\.resources: nvidia\.com\/gpu is set from training\.gpu\.count/,
    ],
    [
      'an empty GPU node label (schema)',
      ['gpuNodes.labelKey='],
      /values don't meet the specifications of the schema[\s\S]*labelKey/,
    ],
    [
      'no platform service key',
      ['auth.serviceKey.existingSecret='],
      /auth\.serviceKey\.existingSecret: ingest, scoring, training call other services with the platform API key/,
    ],
    [
      'no platform service key, only training enabled among its users',
      ['auth.serviceKey.existingSecret=', 'ingest.enabled=false', 'scoring.enabled=false'],
      /auth\.serviceKey\.existingSecret: training call other services/,
    ],
    [
      'SASL without a secret',
      ['kafka.sasl.existingSecret='],
      /kafka\.sasl\.existingSecret: SASL mechanism "scram-sha-512" is set/,
    ],
    [
      'no pseudonymization key for ingest',
      ['ingest.pseudonymization.existingSecret='],
      /ingest\.pseudonymization\.existingSecret/,
    ],
    [
      'no pseudonymization key for scoring (ingest disabled)',
      ['ingest.enabled=false', 'ingest.pseudonymization.existingSecret='],
      /scoring needs the Secret with the pseudonymization key/,
    ],
    [
      'no webhook signing secret',
      ['sentimentMonitor.webhook.existingSecret='],
      /sentimentMonitor\.webhook\.existingSecret/,
    ],
    [
      'tensorflow-gpu backend on the CPU image',
      ['training.gpu.enabled=false', 'training.tfBackend=tensorflow-gpu'],
      /training\.tfBackend: tensorflow-gpu needs training\.gpu\.enabled=true/,
    ],
    [
      'drain longer than the grace period',
      ['scoring.shutdownTimeoutMs=44000'],
      /scoring\.shutdownTimeoutMs: preStopSleepSeconds \(5s\) \+ shutdownTimeoutMs \(44000ms\) must end before terminationGracePeriodSeconds \(45s\)/,
    ],
    [
      'training without the registry it calls',
      ['modelRegistry.enabled=false'],
      /modelRegistry\.enabled: training calls model-registry/,
    ],
    [
      'KEDA min above max',
      ['sentimentMonitor.autoscaling.keda.minReplicaCount=7'],
      /sentimentMonitor\.autoscaling\.keda\.minReplicaCount: 7 is more than maxReplicaCount 6/,
    ],
    [
      'ServiceMonitor without metrics',
      ['metrics.enabled=false', 'metrics.serviceMonitor.enabled=true'],
      /metrics\.serviceMonitor\.enabled: needs metrics\.enabled=true/,
    ],
    [
      'an unknown SASL mechanism (schema enum)',
      ['kafka.sasl.mechanism=gssapi'],
      /values don't meet the specifications of the schema[\s\S]*mechanism/,
    ],
    [
      'an unknown TF backend (schema enum)',
      ['training.tfBackend=cuda'],
      /values don't meet the specifications of the schema[\s\S]*tfBackend/,
    ],
    [
      'a misspelt value (schema: no unknown keys)',
      ['scoring.replicas=3'],
      /values don't meet the specifications of the schema[\s\S]*replicas/,
    ],
    [
      'a string where a number belongs (schema types)',
      ['feature.autoscaling.keda.lagThreshold=lots'],
      /values don't meet the specifications of the schema[\s\S]*lagThreshold/,
    ],
  ];

  it.each(bad)('%s', (_name, sets, message) => {
    const r = template([minimal], sets);
    expect(r.code, r.stdout.slice(0, 200)).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it.each(fs.readdirSync(path.join(CHART, 'tests/bad-values')).filter((f) => f.endsWith('.yaml')))(
    'bad values file %s fails with the reason its header expects',
    (file) => {
      const f = path.join(CHART, 'tests/bad-values', file);
      const expected = /^# Expected: (.+)$/m.exec(fs.readFileSync(f, 'utf8'))?.[1];
      expect(expected, `${file} names no "# Expected:" line`).toBeTruthy();
      const r = template([minimal, f]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(expected);
    },
  );

  it('reports every broken rule at once', () => {
    const r = template(
      [minimal],
      [
        'database.existingSecret=',
        'training.gpu.image.repository=',
        'feature.autoscaling.keda.maxReplicaCount=9',
      ],
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/VALUES VALIDATION \(mercato\)/);
    expect(r.stderr.match(/^\s+- /gm)?.length).toBeGreaterThanOrEqual(3);
  });
});

describe('k8s/ cluster manifests', () => {
  const dir = path.join(ROOT, 'k8s');
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .sort()
    : [];
  const objects = () => files.flatMap((f) => parseObjects(fs.readFileSync(path.join(dir, f), 'utf8')));

  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('validate with kubeconform -strict (Strimzi, CloudNativePG, KEDA CRDs included)', () => {
    const r = run(KUBECONFORM, [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-schema-location',
      `${SCHEMAS}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      ...files.map((f) => path.join(dir, f)),
    ]);
    const report = JSON.parse(r.stdout);
    expect(report.resources?.filter((x: Obj) => x.status !== 'statusValid') ?? [], r.stdout).toEqual([]);
    expect(report.summary.skipped).toBe(0);
    expect(report.summary.valid).toBe(objects().length);
    expect(r.code).toBe(0);
  });

  it('label the application namespace for Pod Security Standards "restricted"', () => {
    const ns = objects().find((o) => o.kind === 'Namespace' && o.metadata.name === 'mercato');
    expect(ns?.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });

  it('declare every catalogue topic and its .dlq with the partitions the chart assumes', () => {
    const chartPartitions = (parseYaml(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Obj).kafka
      .partitions;
    const topics = Object.fromEntries(
      objects()
        .filter((o) => o.kind === 'KafkaTopic')
        .map((t) => [t.spec.topicName ?? t.metadata.name, t.spec.partitions]),
    );
    for (const [topic, partitions] of Object.entries(chartPartitions)) {
      expect(topics[topic], topic).toBe(partitions);
      expect(topics[`${topic}.dlq`], `${topic}.dlq`).toBeGreaterThan(0);
    }
  });

  it("give every catalogue topic the catalogue's cleanup policy, and compacted ones its compaction settings", () => {
    const configs = Object.fromEntries(
      objects()
        .filter((o) => o.kind === 'KafkaTopic')
        .map((t) => [t.spec.topicName ?? t.metadata.name, t.spec.config as Obj]),
    );
    for (const spec of Object.values(Topics)) {
      const config = configs[spec.name] ?? {};
      expect(config['cleanup.policy'], spec.name).toBe(spec.cleanupPolicy);
      const compaction = Object.fromEntries(
        Object.keys(COMPACTION_CONFIG).map((k) => [k, String(config[k])]),
      );
      if (spec.cleanupPolicy === 'compact') expect(compaction, spec.name).toEqual(COMPACTION_CONFIG);
      else expect(config, spec.name).not.toHaveProperty('segment.ms');
    }
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8');

  it('passes hadolint', () => {
    const r = run(HADOLINT, ['--no-color', path.join(ROOT, 'docker/Dockerfile')]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('builds a CPU and a GPU runtime on bases given as arguments, non-root, with a liveness HEALTHCHECK', () => {
    expect(dockerfile).toMatch(/^ARG BUILD_BASE=node:\$\{NODE_VERSION\}-bookworm$/m);
    expect(dockerfile).toMatch(/^ARG RUNTIME_BASE=node:\$\{NODE_VERSION\}-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^FROM \$\{RUNTIME_BASE\} AS runtime-common$/m);
    expect(dockerfile).toMatch(/^FROM runtime-common AS runtime-gpu$/m);
    // The last stage is the default target: the CPU image.
    expect(dockerfile.match(/^FROM .*$/gm)?.at(-1)).toBe('FROM runtime-common AS runtime-cpu');
    expect(dockerfile).toContain('@tensorflow/tfjs-node-gpu@4.22.0');
    expect(dockerfile).toMatch(/nvidia-cudnn-cu11==8\.6\.\d/);
    expect(dockerfile).toContain('npm prune --omit=dev');
    expect(dockerfile.match(/^USER 10001:10001$/gm)).toHaveLength(1);
    expect(dockerfile.match(/^HEALTHCHECK .*healthcheck\.mjs"\]$/gm)).toHaveLength(2);
    expect(fs.readFileSync(path.join(ROOT, 'docker/healthcheck.mjs'), 'utf8')).toContain('/healthz/live');
  });

  it('has an entrypoint that is valid POSIX sh', () => {
    const r = spawnSync('sh', ['-n', path.join(ROOT, 'docker/entrypoint.sh')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
