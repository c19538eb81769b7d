// Issue 20, item 2: the cdk8s-plus-33 recipes of docs/building-blocks.md, synthesized as
// written, on the kit. The hooks recipe runs (its page is served, its preStop hook leaves a
// flag file with the pod's identity in the node directory); the Ingress and NetworkPolicy
// recipe is accepted by the API server.
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { relocateHostPath } from './support/charts';
import {
  apply,
  createNamespace,
  deleteNamespaces,
  dryRun,
  exec,
  getJson,
  kubectl,
  objectsYaml,
  randomSuffix,
  removePath,
  trackPath,
  waitFor,
  waitPodReady,
  withDiagnostics,
} from './support/kube';
import { RECIPES, runBlock } from '../support/recipes';

const hostPath = trackPath(`/tmp/e2e-plus-33-${randomSuffix()}`);
let ns = '';
const t = (body: () => Promise<void>) => withDiagnostics(() => [ns], body);

/** The objects one recipe of docs/building-blocks.md writes for `chart`. */
function recipeObjects(chart: string) {
  const recipe = RECIPES.find((r) => r.source === 'docs/building-blocks.md' && r.code.includes(`new Chart(app, '${chart}')`));
  if (!recipe) throw new Error(`docs/building-blocks.md has no recipe for chart ${chart}`);
  return runBlock(recipe.code).charts[chart];
}

beforeAll(async () => {
  ns = await createNamespace('plus-33', 'privileged');
});

afterAll(async () => {
  await deleteNamespaces([ns]);
  removePath(hostPath);
});

test(
  'the hooks recipe serves its page and leaves a flag file naming the deleted pod',
  t(async () => {
    const objects = relocateHostPath(recipeObjects('plus-33-hooks'), '/var/lib/cdk8s-pod-lifecycle/flags', hostPath);
    // What a collector that ran on the node leaves (the recipe's pod waits for it): on the
    // kit the node is this machine.
    const incoming = join(hostPath, 'incoming');
    mkdirSync(incoming, { recursive: true });
    chmodSync(incoming, 0o1733);
    await apply(objectsYaml(objects), ['-n', ns]);
    await waitPodReady(ns, 'plus-33-hooks');
    const page = await exec(ns, 'plus-33-hooks', 'app', ['wget', '-qO-', 'http://127.0.0.1:8080/index.html']);
    expect(page.stdout).toBe('hi from cdk8s-plus-33');
    const pod = await getJson(['pod', '-n', ns, 'plus-33-hooks']);
    await kubectl(['delete', 'pod', '-n', ns, 'plus-33-hooks', '--wait=true', '--timeout=60s']);
    // On the kit the node is this machine: the node directory is a local one.
    const files = await waitFor(
      'the flag file',
      async () => {
        const names = readdirSync(incoming).filter((f) => f.endsWith('.txt'));
        return names.length > 0 ? names : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(files).toEqual([expect.stringMatching(new RegExp(`^plus-33-hooks\\.${pod.metadata.uid}\\.\\d{8}T\\d{6}Z\\.\\d+\\.txt$`))]);
    const flag = readFileSync(join(incoming, files[0]), 'utf8');
    expect(flag).toContain(`pod=plus-33-hooks\nnamespace=${ns}\nuid=${pod.metadata.uid}\nnode=${pod.spec.nodeName}\ncontainer=app\n`);
  }),
);

test(
  'the API server accepts the Ingress and NetworkPolicy recipe with the construct it routes to',
  t(async () => {
    const result = await dryRun(objectsYaml(recipeObjects('plus-33-ingress')), ns);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/ingress.networking.k8s.io\/site created \(server dry run\)/);
    expect(result.stdout).toMatch(/networkpolicy.networking.k8s.io\/.+ created \(server dry run\)/);
  }),
);
