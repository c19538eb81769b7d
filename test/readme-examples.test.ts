// Every ```ts block of README.md and docs/*.md is a whole file. Each is type-checked as one,
// under the compiler options `cdk8s init typescript-app` writes (lib es2016, strict,
// noUnusedLocals/Parameters), against this repository's lib/; the ones that synthesize are
// run, and what they write is checked: valid 1.27 objects, no warning unless the block asks
// for one, and what its text promises. `npm run test:consumer` builds the same blocks in a
// real template project.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { assertValidManifests } from '../lib/testing';
import { Manifest, RECIPES, runBlock } from './support/recipes';

const root = join(__dirname, '..');

test('README.md and docs/ have ts blocks, each a whole file (with imports)', () => {
  expect(RECIPES.filter((r) => r.source === 'README.md').length).toBeGreaterThanOrEqual(5);
  for (const recipe of RECIPES) expect(`${recipe.source}:${recipe.line}\n${recipe.code}`).toMatch(/^import /m);
});

test('every block type-checks as a whole file under the cdk8s template tsconfig', () => {
  // Under node_modules so that the blocks resolve cdk8s, cdk8s-plus-27/33 and constructs from here.
  const dir = join(root, 'node_modules', '.cache', 'cdk8s-pod-lifecycle-readme-blocks');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = RECIPES.map((recipe) => {
    const file = join(dir, `${recipe.name}.ts`);
    writeFileSync(file, recipe.code);
    return file;
  });
  const program = ts.createProgram(files, {
    strict: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    lib: ['lib.es2016.d.ts'],
    target: ts.ScriptTarget.ES2017,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: ['node', 'jest'],
    typeRoots: [join(root, 'node_modules', '@types')],
    baseUrl: root,
    paths: { 'cdk8s-pod-lifecycle': ['lib/index.ts'], 'cdk8s-pod-lifecycle/testing': ['lib/testing/index.ts'] },
    skipLibCheck: true,
    noEmit: true,
  });
  const blockFiles = new Set(files);
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file !== undefined && blockFiles.has(d.file.fileName))
    .map((d) => {
      const recipe = RECIPES[files.indexOf(d.file!.fileName)];
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `${recipe.source}:${recipe.line + 1 + line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  expect(problems).toEqual([]);
}, 120_000);

const byKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
/** The script of a container's postStart exec hook. */
const postStartScript = (pod: Manifest): string => pod.spec.containers[0].lifecycle.postStart.exec.command[2];
/** Volumes of a pod spec by name. */
const volumes = (spec: { volumes?: { name: string }[] }) => new Map((spec.volumes ?? []).map((v) => [v.name, v]));

// What each chart a block writes must hold, beyond being valid: the blocks' text promises it.
const PROMISES: Record<string, (manifests: Manifest[]) => void> = {
  // README: the first example.
  site: ([pod, service]) => {
    expect(postStartScript(pod)).toContain(`'quotes '\\'' " and $(this) stay literal'`);
    expect(service.spec).toMatchObject({ type: 'NodePort', ports: [{ nodePort: 30080 }] });
  },
  'httpd-post-start': ([pod, service]) => {
    expect(pod.metadata.name).toBe('pod-httpd');
    expect(service.metadata.name).toBe('svc-nodeport-httpd');
    expect(postStartScript(pod)).toContain("'This content was created by the postStart hook'");
    expect(postStartScript(pod)).toMatch(/date/);
  },
  'git-cloned-site': (manifests) => {
    const [deployment] = byKind(manifests, 'Deployment');
    expect(deployment.metadata.name).toBe('httpd-git-site');
    expect(deployment.spec.template.spec.initContainers.map((c: { name: string }) => c.name)).toContain('git-clone');
    expect(byKind(manifests, 'PodDisruptionBudget')).toHaveLength(1);
  },
  // The default flag directory: under /var/lib, in a parent of its own; the audited pod
  // mounts only its incoming/ part, the collector all of it.
  'pre-stop': (manifests) => {
    const [pod] = byKind(manifests, 'Pod');
    const [daemonSet] = byKind(manifests, 'DaemonSet');
    const hostPaths = (spec: { volumes?: { name: string }[] }) =>
      [...volumes(spec).values()].flatMap((v) => ('hostPath' in v ? [(v as { hostPath: { path: string } }).hostPath.path] : []));
    expect(hostPaths(pod.spec)).toEqual(['/var/lib/cdk8s-pod-lifecycle/flags/incoming']);
    expect(hostPaths(daemonSet.spec.template.spec)).toEqual(['/var/lib/cdk8s-pod-lifecycle/flags']);
  },
  // contentFrom: the key's bytes, no date line.
  'big-page': (manifests) => {
    const [pod] = byKind(manifests, 'Pod');
    expect(postStartScript(pod)).toContain("'/etc/post-start-page/page'");
    expect(postStartScript(pod)).not.toMatch(/date/);
    expect(byKind(manifests, 'ConfigMap')[0].data['index.html'].length).toBeGreaterThan(200_000);
  },
  // cdk8s-plus-33's read-only root: every place a hook writes is a mounted volume.
  'plus-33-hooks': ([pod]) => {
    const [container] = pod.spec.containers;
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    const mounts = container.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/www', '/preStopScriptOutput']));
    expect(container.lifecycle.postStart.exec.command[2]).toContain("'/www/index.html'");
    expect(container.env.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['POD_NAME', 'POD_UID', 'NODE_NAME']));
  },
  // The Ingress and the NetworkPolicy reach the construct's Service and pods by plain data.
  'plus-33-ingress': (manifests) => {
    const [pod] = byKind(manifests, 'Pod');
    const [service] = byKind(manifests, 'Service');
    const [ingress] = byKind(manifests, 'Ingress');
    const [policy] = byKind(manifests, 'NetworkPolicy');
    expect(service.spec.type).toBe('ClusterIP');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: service.metadata.name, port: { number: 80 } });
    expect(policy.spec.podSelector.matchLabels).toEqual(service.spec.selector);
    expect(Object.entries(service.spec.selector).every(([k, v]) => pod.metadata.labels?.[k] === v)).toBe(true);
    expect(policy.spec.ingress[0].ports).toEqual([{ port: 80, protocol: 'TCP' }]);
  },
  baseline: ([pod]) => {
    expect(pod.spec.containers[0].securityContext.runAsUser).toBe(0);
    expect([...pod.spec.containers[0].securityContext.capabilities.add].sort()).toEqual(['KILL', 'NET_BIND_SERVICE', 'SETGID', 'SETUID']);
  },
  'escape-hatches': ([pod]) => {
    expect(pod.spec.containers[0].terminationMessagePolicy).toBe('FallbackToLogsOnError');
    expect(pod.spec.enableServiceLinks).toBe(false);
  },
};

// Blocks that synthesize; none may print a warning.
const SYNTHESIZING = RECIPES.filter((r) => /\bapp\.synth\(\)/.test(r.code));

test.each(SYNTHESIZING.map((r) => [`${r.source}:${r.line}`, r] as const))(
  '%s synthesizes valid objects and keeps its promises',
  (_where, recipe) => {
    const run = runBlock(recipe.code);
    const names = Object.keys(run.charts);
    expect(names.length).toBeGreaterThan(0);
    // Every recipe is quiet: one that shows a warning acknowledges it, as a user would after reading it.
    expect(run.stderr).toBe('');
    for (const name of names) {
      // cdk8s-plus-33 writes fields of Kubernetes 1.33; the API server's dry run in the consumer test checks those.
      if (!/import \* as kplus from 'cdk8s-plus-33'/.test(recipe.code)) assertValidManifests(run.charts[name]);
      PROMISES[name]?.(run.charts[name]);
    }
  },
);

test('the charts whose promises are checked above are all written by some block', () => {
  const written = new Set(SYNTHESIZING.flatMap((r) => [...r.code.matchAll(/new Chart\(app, '([^']+)'\)/g)].map((m) => m[1])));
  expect(Object.keys(PROMISES).filter((name) => !written.has(name))).toEqual([]);
});

test('blocks that are jest tests pass as written (their body runs at once)', () => {
  const tests = RECIPES.filter((r) => /^test\(/m.test(r.code) && !/\bapp\.synth\(\)/.test(r.code));
  expect(tests.some((r) => r.source === 'README.md')).toBe(true);
  for (const recipe of tests) expect(() => runBlock(recipe.code)).not.toThrow();
});

test('README.md stays a page a person reads: at most 350 lines', () => {
  expect(readFileSync(join(root, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(350);
});
