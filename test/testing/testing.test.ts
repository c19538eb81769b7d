import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ApiObject, Chart, JsonPatch, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { HttpdWithPostStart } from '../../lib';
import {
  assertValidManifests,
  CDK8S_BOOKKEEPING_LABELS,
  findSchemaViolations,
  KUBERNETES_SCHEMA_VERSION,
  SnapshotManifest,
  synthSnapshot,
} from '../../lib/testing';

const ADDR = 'cdk8s.io/metadata.addr';

/** A chart with the httpd construct and a Deployment behind a Service, in a fresh app. */
function siteChart(): Chart {
  const chart = new Chart(Testing.app(), 'site');
  new HttpdWithPostStart(chart, 'web', { labels: { component: 'httpd' } });
  const deployment = new kplus.Deployment(chart, 'api', { containers: [{ image: 'busybox:1.36', portNumber: 8080 }] });
  deployment.exposeViaService({ name: 'api' });
  return chart;
}

/** The JSON pointers of the objects in `value` whose keys are not sorted. */
function unsortedObjects(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => unsortedObjects(v, `${path}/${i}`));
  const keys = Object.keys(value);
  const here = JSON.stringify(keys) === JSON.stringify([...keys].sort()) ? [] : [path || '/'];
  return [...here, ...keys.flatMap((k) => unsortedObjects((value as Record<string, unknown>)[k], `${path}/${k}`))];
}

describe('synthSnapshot', () => {
  test('returns the objects cdk8s synthesizes, valid Kubernetes 1.27, in synth order', () => {
    const chart = siteChart();
    const snapshot = synthSnapshot(chart);
    assertValidManifests(snapshot);
    expect(snapshot.map((m) => m.kind)).toEqual(['Pod', 'Service', 'Deployment', 'Service']);
    expect(snapshot).toEqual(Testing.synth(chart));
  });

  test('sorts keys at every depth, apiVersion/kind/metadata first, even for JSON-patched fields', () => {
    const chart = siteChart();
    const config = new ApiObject(chart, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' }, data: { b: '1' } });
    config.addJsonPatch(JsonPatch.add('/data/a', '2'), JsonPatch.add('/immutable', true));
    const raw = Testing.synth(chart).at(-1);
    expect(Object.keys(raw.data)).toEqual(['b', 'a']); // cdk8s leaves patched keys where the patch put them
    const snapshot = synthSnapshot(chart);
    expect(Object.keys(snapshot.at(-1).data)).toEqual(['a', 'b']);
    for (const m of snapshot) {
      expect(Object.keys(m).slice(0, 3)).toEqual(['apiVersion', 'kind', 'metadata']);
      expect(unsortedObjects(m.metadata)).toEqual([]);
      expect(unsortedObjects(m.spec ?? m.data)).toEqual([]);
    }
  });

  test('is the same whatever CDK8S_DISABLE_SORT says and on every fresh app', () => {
    const build = () => {
      const chart = siteChart();
      new ApiObject(chart, 'config', { apiVersion: 'v1', kind: 'ConfigMap', data: { b: '1', a: '2' } });
      return chart;
    };
    const sorted = synthSnapshot(build(), { yaml: true });
    const rawSorted = Yaml.stringify(...Testing.synth(build()));
    process.env.CDK8S_DISABLE_SORT = '1';
    try {
      expect(Yaml.stringify(...Testing.synth(build()))).not.toBe(rawSorted);
      expect(synthSnapshot(build(), { yaml: true })).toBe(sorted);
    } finally {
      delete process.env.CDK8S_DISABLE_SORT;
    }
  });

  test('yaml: true gives the documents as cdk8s synth writes them', () => {
    const chart = siteChart();
    const yaml = synthSnapshot(chart, { yaml: true });
    expect(typeof yaml).toBe('string');
    expect(yaml).toBe(Yaml.stringify(...synthSnapshot(chart)));
    expect(yaml.split('\n---\n')).toHaveLength(4);
    expect(yaml.startsWith('apiVersion: v1\nkind: Pod\nmetadata:\n')).toBe(true);
  });

  test('dropCdk8sLabels removes the address label from labels and selectors, and nothing else', () => {
    const chart = siteChart();
    const kept = synthSnapshot(chart);
    const dropped = synthSnapshot(chart, { dropCdk8sLabels: true });
    expect(CDK8S_BOOKKEEPING_LABELS).toEqual([ADDR]);
    expect(JSON.stringify(kept)).toContain(ADDR);
    expect(JSON.stringify(dropped)).not.toContain(ADDR);
    const [pod, service, deployment, apiService] = dropped as SnapshotManifest[];
    expect(pod.metadata.labels).toEqual({ component: 'httpd' });
    expect(service.spec.selector).toEqual({}); // was only the address label: visible, not silently gone
    expect(deployment.spec.selector.matchLabels).toEqual({});
    expect(deployment.spec.template.metadata.labels).toEqual({});
    expect(apiService.spec.selector).toEqual({});
    // Everything but those label keys is untouched.
    const withoutAddr = JSON.parse(JSON.stringify(kept), (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== ADDR))
        : value,
    );
    expect(dropped).toEqual(withoutAddr);
  });

  test('dropCdk8sLabels drops matchExpressions on the address label, but not the key elsewhere', () => {
    const chart = new Chart(Testing.app(), 'c');
    const selector = {
      matchExpressions: [
        { key: ADDR, operator: 'In', values: ['x'] },
        { key: 'tier', operator: 'In', values: ['web'] },
      ],
    };
    new ApiObject(chart, 'pdb', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'pdb', annotations: { [ADDR]: 'kept: annotations are not labels' } },
      spec: { maxUnavailable: 1, selector },
    });
    const [pdb] = synthSnapshot(chart, { dropCdk8sLabels: true });
    assertValidManifests([pdb]);
    expect(pdb.spec.selector.matchExpressions).toEqual([{ key: 'tier', operator: 'In', values: ['web'] }]);
    expect(pdb.metadata.annotations).toEqual({ [ADDR]: 'kept: annotations are not labels' });
  });

  test("runs the app's synth-time validations, like cdk8s synth", () => {
    const chart = siteChart();
    chart.node.addValidation({ validate: () => ['broken on purpose'] });
    expect(() => synthSnapshot(chart)).toThrow(/\[site\] broken on purpose/);
  });

  test('returns a fresh copy each call', () => {
    const chart = siteChart();
    const first = synthSnapshot(chart);
    first[0].metadata.name = 'changed';
    expect(synthSnapshot(chart)[0].metadata.name).not.toBe('changed');
  });
});

describe('findSchemaViolations and assertValidManifests', () => {
  const badPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bad' },
    spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 'eighty' }], startupProbe: {}, shareProcesNamespace: true }] },
  };

  test('reports kind/name, JSON path and message of each violation', () => {
    expect(findSchemaViolations([badPod])).toEqual([
      { object: 'Pod/bad', path: '/spec/containers/0/shareProcesNamespace', message: 'is not a field of this object' },
      { object: 'Pod/bad', path: '/spec/containers/0/ports/0/containerPort', message: 'must be integer' },
    ]);
  });

  test('reports an object without metadata.name, which kubectl apply cannot create', () => {
    expect(findSchemaViolations([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }])).toEqual([
      { object: 'ConfigMap/?', path: '/metadata/name', message: 'is missing: kubectl apply needs a name' },
    ]);
  });

  test('reports an object whose kind the 1.27 schema does not know', () => {
    expect(findSchemaViolations([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }])).toEqual([
      {
        object: 'Widget/w',
        path: '',
        message: `no Kubernetes ${KUBERNETES_SCHEMA_VERSION} schema for apiVersion example.com/v1 kind Widget`,
      },
    ]);
  });

  test('assertValidManifests lists every violation in one error', () => {
    expect(() => assertValidManifests([badPod])).toThrow(
      [
        '2 Kubernetes 1.27.1 schema violation(s):',
        '  Pod/bad at /spec/containers/0/shareProcesNamespace: is not a field of this object',
        '  Pod/bad at /spec/containers/0/ports/0/containerPort: must be integer',
      ].join('\n'),
    );
    expect(() => assertValidManifests(synthSnapshot(siteChart()))).not.toThrow();
  });

  test('without kubernetes-models and ajv (a broken install), the schema checker says what to install; synthSnapshot still works', () => {
    // A fresh cache folder: no validators compiled earlier, so the checker needs ajv.
    const cache = mkdtempSync(join(tmpdir(), 'cdk8s-pod-lifecycle-cache-'));
    process.env.CDK8S_POD_LIFECYCLE_CACHE_DIR = cache;
    jest.isolateModules(() => {
      jest.doMock('ajv', () => {
        throw Object.assign(new Error("Cannot find module 'ajv'"), { code: 'MODULE_NOT_FOUND' });
      });
      const testing = jest.requireActual('../../lib/testing') as typeof import('../../lib/testing');
      expect(() => testing.findSchemaViolations([])).toThrow(
        "the schema checker needs kubernetes-models@4.3.0 and ajv, dependencies of cdk8s-pod-lifecycle that are not installed: npm i kubernetes-models@4.3.0 ajv (Cannot find module 'ajv')",
      );
      expect(testing.synthSnapshot(siteChart())).toHaveLength(4);
    });
    jest.dontMock('ajv');
    delete process.env.CDK8S_POD_LIFECYCLE_CACHE_DIR;
    rmSync(cache, { recursive: true, force: true });
  });
});

describe('the schema cache in node_modules/.cache', () => {
  // A cache folder of its own (CDK8S_POD_LIFECYCLE_CACHE_DIR), so no validator cached earlier
  // spares the checker from reading the damaged schemas.
  let cacheDir: string;
  let cacheFile: string;
  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'cdk8s-pod-lifecycle-cache-'));
    cacheFile = join(cacheDir, 'k8s-schemas-4.3.0.json');
    process.env.CDK8S_POD_LIFECYCLE_CACHE_DIR = cacheDir;
    process.env.CDK8S_POD_LIFECYCLE_STANDALONE = '0'; // this test is about the schema JSON: compile just the kind it needs
  });
  afterEach(() => {
    delete process.env.CDK8S_POD_LIFECYCLE_CACHE_DIR;
    delete process.env.CDK8S_POD_LIFECYCLE_STANDALONE;
    rmSync(cacheDir, { recursive: true, force: true });
  });

  test('a damaged cache is replaced, and the checker still finds violations', () => {
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(cacheFile, '{ half a fi');
    jest.isolateModules(() => {
      const fresh = jest.requireActual('../../lib/testing/k8s-schema') as typeof import('../../lib/testing/k8s-schema');
      expect(fresh.findSchemaViolations([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, date: {} }])).toEqual([
        { object: 'ConfigMap/c', path: '/date', message: 'is not a field of this object' },
      ]);
    });
    const cached = new Map(JSON.parse(readFileSync(cacheFile, 'utf8')));
    expect(cached.has('io.k8s.api.core.v1.Pod')).toBe(true);
  });
});
