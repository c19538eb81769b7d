// The validation plugin through a real `cdk8s synth` (cdk8s-cli) of a consumer project in a
// temporary folder, with the package laid out in its node_modules as npm installs it and a
// cdk8s.yaml that names the plugin by its short path, as a user's would.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { Testing } from 'cdk8s';
import { PreStopAuditedPod } from '../../lib';
import { PodLifecycleValidation, ValidationContextLike, Violation } from '../../lib/cdk8s-plugin';

const ROOT = join(__dirname, '..', '..');
const CDK8S = join(ROOT, 'node_modules', '.bin', 'cdk8s');

/** The app of the consumer project: one chart, good or with one problem of each kind. */
const APP = `
const { App, Chart, ApiObject } = require('cdk8s');
const broken = process.env.BROKEN === '1';
const app = new App();
const chart = new Chart(app, 'demo');
const restricted = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
new ApiObject(chart, 'web', {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'web', image: 'busybox:1.36.1', securityContext: broken ? { privileged: true } : restricted,
          env: [{ name: 'GREETING', value: broken ? 'bad\\u007fbyte' : 'hello' }],
          volumeMounts: broken ? [{ name: 'cache', mountPath: '/cache' }] : [] }],
        ...(broken ? { dnsPolcy: 'Default' } : {}),
      },
    },
  },
});
// The Service in a chart (a manifest file) of its own: the plugin sees all files at once.
new ApiObject(new Chart(app, 'front'), 'svc', {
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-svc', namespace: 'shop' },
  spec: { selector: { app: broken ? 'wbe' : 'web' }, ports: [{ port: 80 }] },
});
new ApiObject(chart, 'agent', {
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'monitoring' },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } },
    spec: { hostPID: true, containers: [{ name: 'agent', image: 'busybox:1.36.1' }] } } },
});
app.synth();
`;

const CDK8S_YAML = `language: javascript
app: node app.js
output: dist
validations:
  - package: ./node_modules/cdk8s-pod-lifecycle/plugin
    version: 0.2.0
    class: PodLifecycleValidation
    properties:
      podSecurity:
        level: restricted
        namespaces: { monitoring: privileged }
`;

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'cdk8s-plugin-consumer-'));
  const pkg = join(project, 'node_modules', 'cdk8s-pod-lifecycle');
  // The package as `npm run build` lays it out (build/lib/...), transpiled file by file, with its plugin.js.
  const entryPoints = ['cdk8s-plugin', 'testing', 'rules', 'core'].flatMap((dir) =>
    readdirSync(join(ROOT, 'lib', dir))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(ROOT, 'lib', dir, f)),
  );
  buildSync({
    entryPoints,
    outbase: join(ROOT, 'lib'),
    outdir: join(pkg, 'build', 'lib'),
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  copyFileSync(join(ROOT, 'plugin.js'), join(pkg, 'plugin.js'));
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  mkdirSync(join(project, 'dist'));
  // Its dependencies (and cdk8s) beside it, as npm installs them.
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name !== 'cdk8s-pod-lifecycle') symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name), 'dir');
  }
  writeFileSync(join(project, 'app.js'), APP);
  writeFileSync(join(project, 'cdk8s.yaml'), CDK8S_YAML);
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

function synth(env: Record<string, string>, outdir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(CDK8S, ['synth', '--check-upgrade', 'false', '--output', outdir], {
      cwd: project,
      env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('cdk8s synth with the plugin in cdk8s.yaml', () => {
  test.concurrent(
    'passes a good app, fails a broken one listing each rule, resource, location and fix',
    async () => {
      const [good, bad] = await Promise.all([synth({}, 'dist/good'), synth({ BROKEN: '1' }, 'dist/bad')]);
      expect(good.output).toContain('Validations ended succesfully');
      expect(good.code).toBe(0);

      expect(bad.code).toBe(2);
      const out = bad.output;
      expect(out).toContain('Validation failed');
      for (const rule of [
        'pod-security/restricted:privileged',
        'pod-security/restricted:allowPrivilegeEscalation',
        'k8s-schema-1.27.1',
        'service-selects-nothing',
        'mount-without-volume',
        'yaml-text/rejected',
      ]) {
        expect(out).toContain(rule);
      }
      expect(out).toContain('privileged (container "web" must not set securityContext.privileged=true)');
      expect(out).toContain('/spec/template/spec/dnsPolcy: is not a field of this object');
      expect(out).toContain('/spec/template/spec/containers/0/securityContext/privileged');
      expect(out).toContain('Construct Path: demo/web');
      expect(out).toContain('Construct Path: front/svc');
      expect(out).toContain('U+007F is a control character');
      expect(out).not.toContain('agent'); // namespace monitoring is privileged
    },
    60_000,
  );
});

/** A context like cdk8s-cli's, over manifests written to a temp file. */
function fakeContext(docs: object[]): { context: ValidationContextLike; violations: Violation[]; status: () => string | undefined } {
  const dir = mkdtempSync(join(tmpdir(), 'cdk8s-plugin-unit-'));
  const file = join(dir, 'app.k8s.yaml');
  writeFileSync(file, docs.map((d) => JSON.stringify(d)).join('\n---\n'));
  const violations: Violation[] = [];
  let status: string | undefined;
  return {
    context: {
      manifests: [file],
      parseManifest: () => docs,
      report: { addViolation: (v) => violations.push(v), submit: (s) => (status = s) },
      logger: { log: () => {} },
    },
    violations,
    status: () => status,
  };
}

describe('PodLifecycleValidation', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'i', lifecycle: { preStop: { sleep: { seconds: 40 } } } }] },
  };

  test('baseline by default; the rules on; success when nothing is wrong', async () => {
    const f = fakeContext([pod]);
    await new PodLifecycleValidation({ schema: false }).validate(f.context); // the sleep action is newer than 1.27
    expect(f.violations.map((v) => v.ruleName)).toEqual(['sleep-exceeds-grace-period']);
    expect(f.violations[0].violatingResources).toEqual([
      { resourceName: 'p', locations: ['/spec/containers/0/lifecycle/preStop/sleep/seconds'], manifestPath: f.context.manifests[0] },
    ]);
    expect(f.status()).toBe('failure');
    const ok = fakeContext([pod]);
    await new PodLifecycleValidation({ schema: false, rules: ['service-selects-nothing'] }).validate(ok.context);
    expect(ok.violations).toEqual([]);
    expect(ok.status()).toBe('success');
  });

  test("PreStopAuditedPod's hostPath fails the default baseline, and the fix names the namespace setting", async () => {
    const chart = Testing.chart();
    new PreStopAuditedPod(chart, 'audited', { podName: 'audited' });
    const f = fakeContext(Testing.synth(chart));
    await new PodLifecycleValidation({ schema: false }).validate(f.context);
    expect(f.violations.map((v) => v.ruleName)).toEqual(['pod-security/baseline:hostPathVolumes']);
    expect(f.violations[0].fix).toContain(
      'run it in a namespace labelled pod-security.kubernetes.io/enforce=privileged and tell the plugin: podSecurity: { namespaces: { default: privileged } }',
    );
    const ok = fakeContext(Testing.synth(chart));
    await new PodLifecycleValidation({ schema: false, podSecurity: { namespaces: { default: 'privileged' } } }).validate(ok.context);
    expect(ok.status()).toBe('success');
  });

  test('rejects unknown properties and values', () => {
    expect(() => new PodLifecycleValidation({ podSecurty: 'restricted' } as never)).toThrow(
      'cdk8s-pod-lifecycle validation plugin, properties: unknown "podSecurty"; known: schema, podSecurity, rules, yamlText',
    );
    expect(() => new PodLifecycleValidation({ podSecurity: 'strict' as never })).toThrow(
      'podSecurity is "strict": expected one of privileged, baseline, restricted',
    );
    expect(() => new PodLifecycleValidation({ rules: ['no-such-rule' as never] })).toThrow('rules: unknown rule(s) no-such-rule');
    expect(() => new PodLifecycleValidation({ podSecurity: { version: '1.30' } })).toThrow('podSecurity.version is "1.30"');
  });
});
