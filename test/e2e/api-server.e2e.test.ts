// Issue 11, item 4: the API server accepts every object of every example and of the suite's
// own variants (server-side dry run, strict field validation), and each construct's Pod
// Security level (README, "Security choices") holds both ways: admitted at its level,
// refused at the next stricter one. Plus the README's facts about newer fields.
import { ApiObject, JsonPatch } from 'cdk8s';
import { auditCharts, gitSite, postStartSite } from './support/charts';
import { gitServerObjects } from './support/git-server';
import { PodSecurityLevel, createNamespace, deleteNamespaces, dryRun, kubectl, objectsYaml, withDiagnostics, Json } from './support/kube';
import { SecurityPreset, addRawJsonPatch, buildExamples } from './support/lib';

const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];
const ns: Record<PodSecurityLevel, string> = { privileged: '', baseline: '', restricted: '' };
const t = (body: () => Promise<void>) => withDiagnostics(() => [], body);

interface Case {
  readonly name: string;
  /** The level the README (or the variant) claims. */
  readonly level: PodSecurityLevel;
  /** The objects, for the namespace `namespace` (or without one: applied with -n). */
  readonly objects: (namespace: string) => Json[];
}

const stricter = (level: PodSecurityLevel): PodSecurityLevel | undefined => LEVELS[LEVELS.indexOf(level) + 1];

const EXAMPLE_LEVELS: Record<string, PodSecurityLevel> = {
  'httpd-post-start': 'restricted',
  'git-cloned-site': 'restricted',
  'git-cloned-site-private': 'restricted',
  'pre-stop-audited-pod': 'privileged',
  'pre-stop-audit-collector': 'privileged',
};

function exampleCases(): Case[] {
  return buildExamples().charts.map((chart) => {
    const level = EXAMPLE_LEVELS[chart.node.id];
    if (!level) throw new Error(`example chart ${chart.node.id}: no Pod Security level known to the suite; add it to EXAMPLE_LEVELS`);
    return { name: `example ${chart.node.id}`, level, objects: () => chart.toJson() };
  });
}

const REPO = 'https://10.244.0.250/git/site.git';
const variantCases: Case[] = [
  {
    name: 'HttpdWithPostStart, hostile page',
    level: 'restricted',
    objects: (n) => postStartSite({ namespace: n, podName: 'web' }).chart.toJson(),
  },
  {
    name: 'HttpdWithPostStart, failing hook shell',
    level: 'restricted',
    objects: (n) =>
      postStartSite({ namespace: n, podName: 'failing-hook', shell: '/nonexistent', content: 'x', gracePeriodSeconds: 5 }).chart.toJson(),
  },
  {
    name: 'HttpdWithPostStart, failing preStop (raw patch)',
    level: 'restricted',
    objects: (n) => {
      const v = postStartSite({ namespace: n, podName: 'failing-prestop', content: 'hi' });
      addRawJsonPatch(
        v.site.pod,
        JsonPatch.add('/spec/containers/0/lifecycle/preStop', { exec: { command: ['/bin/sh', '-c', 'exit 3'] } }),
      );
      return v.chart.toJson();
    },
  },
  {
    name: 'HttpdWithPostStart, SecurityPreset.baselineRoot (README)',
    level: 'baseline',
    objects: (n) =>
      postStartSite({
        namespace: n,
        podName: 'web-baseline',
        securityPreset: SecurityPreset.baselineRoot({ addCapabilities: ['NET_BIND_SERVICE', 'SETUID', 'SETGID', 'KILL'] }),
      }).chart.toJson(),
  },
  {
    name: 'PreStopAuditedPods + collector (suite)',
    level: 'privileged',
    objects: (n) => {
      const c = auditCharts({
        namespace: n,
        hostPath: '/tmp/e2e-audit-dryrun',
        collectorName: 'collector',
        pods: [{ podName: 'a1', preStopDelaySeconds: 2, gracePeriodSeconds: 10 }, { podName: 'a2' }],
      });
      return [...c.pods(), ...c.collectorObjects()];
    },
  },
  {
    name: 'GitClonedSiteInit, regular sync sidecar',
    level: 'restricted',
    objects: (n) => gitSite({ namespace: n, name: 'site-a', repository: REPO, ref: 'release', syncSeconds: 5 }).chart.toJson(),
  },
  {
    name: 'GitClonedSiteInit, native sidecar + preStop sleep (raw patch)',
    level: 'restricted',
    objects: (n) =>
      gitSite({
        namespace: n,
        name: 'site-b',
        repository: REPO,
        ref: 'main',
        syncSeconds: 5,
        nativeSidecar: true,
        drainSleepActionSeconds: 3,
      }).chart.toJson(),
  },
  { name: 'the git server pod (suite)', level: 'privileged', objects: (n) => gitServerObjects(n, 'git-server', '/tmp/e2e-git-dryrun') },
];

/** Objects carrying `namespace` when the builder set one; examples get -n. */
function yamlFor(c: Case, namespace: string): string {
  return objectsYaml(c.objects(namespace));
}

/** Each workload's pod template as a Pod: Pod Security `enforce` judges Pods only. */
function templatesAsPods(objects: Json[], namespace: string): Json[] {
  return objects
    .filter((o) => o.spec?.template?.spec)
    .map((o) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${o.metadata.name}-template`.slice(0, 63), namespace, labels: o.spec.template.metadata?.labels },
      spec: o.spec.template.spec,
    }));
}

const POD_SECURITY_WARNING = /Warning: would violate PodSecurity/;

beforeAll(async () => {
  const created = await Promise.all(LEVELS.map((l) => createNamespace(`pss-check-${l}`, l)));
  LEVELS.forEach((l, i) => (ns[l] = created[i]));
}, 60_000);

afterAll(() => deleteNamespaces(Object.values(ns)), 60_000);

describe.each([...exampleCases(), ...variantCases].map((c) => [c.name, c] as const))('%s', (_name, c) => {
  test(
    `accepted by a server-side dry run with strict field validation, at Pod Security ${c.level} (no warning)`,
    t(async () => {
      const r = await dryRun(yamlFor(c, ns[c.level]), ns[c.level]);
      expect(r.stderr).not.toMatch(/error|Error/);
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(POD_SECURITY_WARNING);
      expect(r.stdout).toMatch(/\(server dry run\)/);
    }),
    60_000,
  );

  const next = stricter(c.level);
  if (next) {
    test(
      `refused at Pod Security ${next}`,
      t(async () => {
        const objects = c.objects(ns[next]);
        const pods = [...objects.filter((o) => o.kind === 'Pod'), ...templatesAsPods(objects, ns[next])];
        expect(pods.length).toBeGreaterThan(0);
        for (const pod of pods) {
          const r = await dryRun(objectsYaml([pod]), ns[next]);
          expect([pod.metadata.name, r.code]).toEqual([pod.metadata.name, 1]);
          expect(r.stderr).toMatch(new RegExp(`forbidden: violates PodSecurity "${next}:latest"`));
        }
        // Workloads themselves are admitted with a warning (enforce judges Pods only).
        const workloads = objects.filter((o) => o.spec?.template?.spec);
        if (workloads.length) {
          const r = await dryRun(objectsYaml(workloads), ns[next]);
          expect(r.code).toBe(0);
          expect(r.stderr).toMatch(POD_SECURITY_WARNING);
        }
      }),
      60_000,
    );
  }
});

describe('fields newer than the 1.27 schema, on this API server', () => {
  test(
    'restartPolicy: Always on an init container (nativeSidecar) is kept, not dropped',
    t(async () => {
      const c = variantCases.find((v) => v.name.startsWith('GitClonedSiteInit, native'))!;
      const r = await dryRun(yamlFor(c, ns.restricted), ns.restricted);
      expect(r.code).toBe(0);
      const out = await dryRunJson(yamlFor(c, ns.restricted), ns.restricted);
      const deployment = out.items.find((o: Json) => o.kind === 'Deployment');
      const sync = deployment.spec.template.spec.initContainers.find((ic: Json) => ic.name === 'git-sync');
      expect(sync.restartPolicy).toBe('Always');
      const httpd = deployment.spec.template.spec.containers.find((ct: Json) => ct.name === 'httpd');
      expect(httpd.lifecycle.preStop).toEqual({ sleep: { seconds: 3 } });
    }),
    60_000,
  );

  test(
    'the sleep action: up to terminationGracePeriodSeconds is accepted, above it refused',
    t(async () => {
      const withSleep = (seconds: number) => {
        const v = postStartSite({ namespace: ns.restricted, podName: `sleep-${seconds}`, content: 'x' });
        addRawJsonPatch(
          v.site.pod,
          JsonPatch.add('/spec/containers/0/lifecycle/preStop', { sleep: { seconds } }),
          JsonPatch.add('/spec/terminationGracePeriodSeconds', 30),
        );
        // The pod alone, past the synth checks (which refuse 31 s, rule sleep-exceeds-grace-period): the API server's own answer.
        return dryRun(objectsYaml([ApiObject.of(v.site.pod).toJson()]), ns.restricted);
      };
      // Equal is accepted, although the message says "less than".
      const equal = await withSleep(30);
      expect(equal.code).toBe(0);
      const above = await withSleep(31);
      expect(above.code).toBe(1);
      expect(above.stderr).toMatch(
        /lifecycle\.preStop\.sleep: Invalid value: 31: must be non-negative and less than terminationGracePeriodSeconds \(30\)/,
      );
    }),
    60_000,
  );

  test(
    'strict field validation refuses a field the server does not know (kubectl default), instead of dropping it',
    t(async () => {
      const v = postStartSite({ namespace: ns.restricted, podName: 'unknown-field', content: 'x' });
      addRawJsonPatch(v.site.pod, JsonPatch.add('/spec/containers/0/restartPolicyFromTheFuture', 'Always'));
      const r = await dryRun(objectsYaml(v.chart.toJson()), ns.restricted);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/strict decoding error: unknown field "spec\.containers\[0\]\.restartPolicyFromTheFuture"/);
    }),
    60_000,
  );
});

async function dryRunJson(yaml: string, namespace: string): Promise<Json> {
  const r = await kubectl(
    ['apply', '--server-side=false', '--validate=strict', '--dry-run=server', '-n', namespace, '-o', 'json', '-f', '-'],
    { input: yaml },
  );
  const parsed = JSON.parse(r.stdout);
  return parsed.kind === 'List' ? parsed : { items: [parsed] };
}
