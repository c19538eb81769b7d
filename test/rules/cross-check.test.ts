// The same corpus through the three doors onto the rules engine, which must agree on every
// finding (rule id, object, field): the synth checks (app.synthYaml(), as cdk8s synth runs
// them), `/testing` (checkObjects on the app's objects) and the cdk8s synth plugin (all the
// manifest files of the app at once, through cdk8s-cli's own ValidationContext and report).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App, Chart, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { addStandardSynthChecks, RuleId } from '../../lib';
import { PodLifecycleValidation } from '../../lib/cdk8s-plugin';
import { checkObjects, RULES } from '../../lib/testing';
import { buildExamples } from '../../examples/main';

// cdk8s-cli's own validation context and report (its package exports do not list the file).
const cli = join(__dirname, '..', '..', 'node_modules', 'cdk8s-cli', 'lib', 'plugins', 'validation.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ValidationContext } = require(cli) as typeof import('cdk8s-cli/lib/plugins/validation');

/** One finding as every door can tell it: rule, object name, field, construct path. */
type Row = string;
const row = (rule: string, name: string, field: string, path: string): Row => `${rule} ${name} ${field || '/'} ${path}`;

const image = 'busybox:1.36.1';
const pod = (spec: object, name = 'p', metadata: object = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...metadata }, spec });
const config = (name: string, data: object, kind = 'ConfigMap') => ({ apiVersion: 'v1', kind, metadata: { name }, ...data });
const MIB = 1048576;

/** Each case builds an app; `expected` lists its findings as rule, name and field. */
const CORPUS: readonly { name: string; build: (app: App) => void; expected: readonly [RuleId, string, string][] }[] = [
  { name: 'the examples', build: (app) => buildExamples(app), expected: [] },
  {
    name: 'a Service and its Deployment in two charts',
    build: (app) => {
      const deployment = new kplus.Deployment(new Chart(app, 'back'), 'api', { containers: [{ image, portNumber: 8080 }] });
      const service = new kplus.Service(new Chart(app, 'front'), 'svc', { ports: [{ port: 80, targetPort: 8080 }] });
      service.selectLabel('cdk8s.io/metadata.addr', deployment.podMetadata.getLabel('cdk8s.io/metadata.addr')!);
    },
    expected: [],
  },
  {
    name: 'a postStart sleep longer than the grace period',
    build: (app) => raw(app, pod({ containers: [{ name: 'c', image, lifecycle: { postStart: { sleep: { seconds: 40 } } } }] })),
    expected: [['sleep-exceeds-grace-period', 'p', '/spec/containers/0/lifecycle/postStart/sleep/seconds']],
  },
  {
    name: 'a 200 KB env value',
    build: (app) => raw(app, pod({ containers: [{ name: 'c', image, env: [{ name: 'BIG', value: 'x'.repeat(200_000) }] }] })),
    expected: [['env-value-too-long', 'p', '/spec/containers/0/env/0/value']],
  },
  {
    name: 'a ConfigMap and a Secret whose data exceed 1 MiB',
    build: (app) =>
      raw(
        app,
        config('cm', { data: { a: 'x'.repeat(MIB / 2), b: 'y'.repeat(MIB / 2) }, binaryData: { c: 'AAAA' } }),
        config('s', { stringData: { a: 'z'.repeat(MIB + 1) } }, 'Secret'),
        config('ok', { data: { a: 'x'.repeat(MIB) } }),
      ),
    expected: [
      ['config-data-too-large', 'cm', '/data'],
      ['config-data-too-large', 's', '/data'],
    ],
  },
  {
    name: 'service-selects-nothing',
    build: (app) =>
      raw(app, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } }),
    expected: [['service-selects-nothing', 'svc', '/spec/selector']],
  },
  {
    name: 'mount-without-volume, duplicate-mount-path, duplicate-container-name',
    build: (app) =>
      raw(
        app,
        pod({
          volumes: [{ name: 'a', emptyDir: {} }],
          initContainers: [{ name: 'c', image }],
          containers: [
            {
              name: 'c',
              image,
              volumeMounts: [
                { name: 'a', mountPath: '/m' },
                { name: 'b', mountPath: '/m' },
              ],
            },
          ],
        }),
      ),
    expected: [
      ['duplicate-container-name', 'p', '/spec/containers/0/name'],
      ['mount-without-volume', 'p', '/spec/containers/0/volumeMounts/1'],
      ['duplicate-mount-path', 'p', '/spec/containers/0/volumeMounts/1/mountPath'],
    ],
  },
  {
    name: 'exec-argument-too-long',
    build: (app) => raw(app, pod({ containers: [{ name: 'c', image, command: ['sh', '-c', '#'.repeat(140_000)] }] })),
    expected: [['exec-argument-too-long', 'p', '/spec/containers/0/command/2']],
  },
  {
    name: 'request-above-limit',
    build: (app) => raw(app, pod({ containers: [{ name: 'c', image, resources: { requests: { cpu: '2' }, limits: { cpu: '500m' } } }] })),
    expected: [['request-above-limit', 'p', '/spec/containers/0/resources']],
  },
  {
    name: 'object-too-large',
    build: (app) => raw(app, pod({ containers: [{ name: 'c', image }] }, 'p', { annotations: { big: 'x'.repeat(1_600_000) } })),
    expected: [['object-too-large', 'p', '']],
  },
  {
    name: 'duplicate-object, duplicate-node-port',
    build: (app) => {
      const service = (name: string) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] },
      });
      raw(app, config('same', { data: {} }), service('one'));
      new ApiObject(new Chart(app, 'other'), 'same', config('same', { data: {} }));
      new ApiObject(Chart.of(app.node.findChild('c')), 'two', service('two'));
    },
    expected: [
      ['duplicate-node-port', 'two', '/spec/ports'],
      ['duplicate-object', 'same', '/metadata/name'],
    ],
  },
  {
    name: 'lone-surrogate',
    build: (app) => raw(app, config('cm', { data: { bad: 'x\ud800' } })),
    expected: [['lone-surrogate', 'cm', '/data/bad']],
  },
];

/** Hand-written objects in chart `c`, named o0, o1, ... */
function raw(app: App, ...objects: object[]): void {
  const chart = (app.node.tryFindChild('c') as Chart | undefined) ?? new Chart(app, 'c');
  objects.forEach((o) => new ApiObject(chart, `o${chart.node.children.length}`, o as never));
}

function apiObjects(app: App): ApiObject[] {
  return app.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
}

function build(make: (app: App) => void): App {
  const app = Testing.app();
  make(app);
  for (const chart of app.charts) addStandardSynthChecks(chart);
  return app;
}

// The synth checks, as `cdk8s synth` runs them: one error, a line per finding.
function synthDoor(app: App): Row[] {
  try {
    app.synthYaml();
    return [];
  } catch (e) {
    const lines = (e as Error).message.split('\n').slice(1);
    return lines.map((line) => {
      const m = /^ {2}\[[^\]]*\] \w+ '([^']*)'(?: in namespace \S+)? \(([^)]*)\)(?: at (\S+))?: .* \[([a-z-]+)\]$/.exec(line);
      if (!m) throw new Error(`not a finding of the synth checks: ${line.slice(0, 300)}`);
      return row(m[4], m[1], m[3] ?? '', m[2]);
    });
  }
}

// `/testing`: the engine on the app's objects as plain JSON.
function testingDoor(app: App): Row[] {
  const objects = apiObjects(app);
  return checkObjects(objects.map((o) => o.toJson())).map((f) => row(f.rule, f.object.name, f.field, objects[f.index].node.path));
}

// The plugin as cdk8s-cli calls it: one file per chart, construct paths from the metadata
// cdk8s writes (construct-metadata.json: metadata.name to path).
async function pluginDoor(app: App): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cross-check-'));
  try {
    const metadata: Record<string, { path: string }> = {};
    const files = app.charts.map((chart) => {
      const objects = apiObjects(app).filter((o) => Chart.of(o) === chart);
      for (const o of objects) metadata[o.name] = { path: o.node.path };
      const file = join(dir, `${chart.node.id}.k8s.yaml`);
      Yaml.save(
        file,
        objects.map((o) => o.toJson()),
      );
      return file;
    });
    const context = new ValidationContext(files, 'cdk8s-pod-lifecycle', '0.2.0', metadata);
    await new PodLifecycleValidation({ schema: false, podSecurity: false, yamlText: false }).validate(context);
    return context.report
      .toJson()
      .violations.flatMap((v) =>
        v.violatingConstructs.flatMap((c) =>
          (c.locations ?? []).map((at) => row(v.ruleName, c.resourceName, at, c.constructPath ?? 'N/A')),
        ),
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each(CORPUS.map((c) => [c.name, c]))('%s', (_name, { build: make, expected }) => {
  test('the synth checks, /testing and the plugin report the same findings', async () => {
    const app = build(make);
    const sorted = (rows: Row[]) => [...rows].sort();
    const testing = sorted(testingDoor(app));
    expect(testing.map((r) => r.split(' ').slice(0, 3).join(' '))).toEqual(
      sorted(expected.map(([rule, name, field]) => row(rule, name, field, '')).map((r) => r.trim())),
    );
    expect(sorted(synthDoor(app))).toEqual(testing);
    expect(sorted(await pluginDoor(app))).toEqual(testing);
  });
});

test('the corpus breaks every rule of the table', () => {
  const broken = new Set(CORPUS.flatMap((c) => c.expected.map(([rule]) => rule)));
  expect(RULES.map((r) => r.id).filter((id) => !broken.has(id))).toEqual([]);
});
