// Issue 21, part 2: the library's own hooks write their lines and exit status into the
// container's log (lib/core/hook-log.ts), so `kubectl logs` shows what the kubelet keeps
// nowhere: a postStart that worked, one that failed and why, and the preStop hooks.
import { auditCharts, postStartSite } from './support/charts';
import {
  Json,
  apply,
  chartYaml,
  createNamespace,
  deleteNamespaces,
  followLogs,
  kubectl,
  objectsYaml,
  podNames,
  randomSuffix,
  removePath,
  trackPath,
  waitFor,
  waitPodReady,
  withDiagnostics,
} from './support/kube';
import { WriteFileHook } from './support/lib';

let ns = '';
let auditNs = '';
const hostPath = trackPath(`/tmp/e2e-hook-logs-${randomSuffix()}`);
const t = (body: () => Promise<void>) => withDiagnostics(() => [ns, auditNs], body);

beforeAll(async () => {
  [ns, auditNs] = await Promise.all([createNamespace('hook-logs', 'restricted'), createNamespace('hook-logs-audit', 'privileged')]);
}, 60_000);

afterAll(async () => {
  await deleteNamespaces([ns, auditNs]);
  removePath(hostPath);
}, 60_000);

const logs = async (namespace: string, pod: string, previous = false) =>
  (await kubectl(['logs', '-n', namespace, pod, ...(previous ? ['--previous'] : [])], { allowFail: true })).stdout;

/**
 * The library's page writer on a read-only root filesystem, as a user who points it outside
 * the writable volumes gets: httpd runs, the hook cannot create its directory.
 */
function failingPostStartPod(namespace: string, name: string): Json {
  const hook = new WriteFileHook({ path: '/usr/local/apache2/pages/index.html', content: 'never written', logName: 'post-start-page' });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      terminationGracePeriodSeconds: 2,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
        sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }],
      },
      containers: [
        {
          name: 'httpd',
          image: 'httpd:2.4.65',
          imagePullPolicy: 'IfNotPresent',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
          lifecycle: { postStart: { exec: { command: hook.command } } },
          volumeMounts: [{ name: 'logs', mountPath: '/usr/local/apache2/logs' }],
        },
      ],
      volumes: [{ name: 'logs', emptyDir: {} }],
    },
  };
}

test(
  'a postStart that succeeds: `kubectl logs` shows [post-start-page] running and exit status 0 (restricted preset, non-root, no capabilities)',
  t(async () => {
    await apply(chartYaml(postStartSite({ namespace: ns, podName: 'web', content: ['hello'] }).chart));
    await waitPodReady(ns, 'web', 90_000);
    const out = await waitFor('the hook lines', async () => {
      const text = await logs(ns, 'web');
      return text.includes('[post-start-page] exit status') ? text : undefined;
    });
    const lines = out.split('\n').filter((l) => l.startsWith('[post-start-page]'));
    expect(lines).toEqual(['[post-start-page] running', '[post-start-page] exit status 0']);
  }),
  120_000,
);

test(
  'a postStart that fails: the reason and the exit status are in `kubectl logs` (current or --previous)',
  t(async () => {
    await apply(objectsYaml([failingPostStartPod(ns, 'web-fail')]));
    const out = await waitFor(
      'the failing hook lines',
      async () => {
        for (const previous of [false, true]) {
          const text = await logs(ns, 'web-fail', previous);
          if (/\[post-start-page\] exit status [1-9]/.test(text)) return text;
        }
        return undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    const lines = out.split('\n').filter((l) => l.startsWith('[post-start-page]'));
    expect(lines[0]).toBe('[post-start-page] running');
    expect(lines.join('\n')).toMatch(/\[post-start-page\] mkdir: .*\/usr\/local\/apache2\/pages.*Read-only file system/);
    expect(lines[lines.length - 1]).toBe('[post-start-page] exit status 1');
  }),
  120_000,
);

test(
  'the preStop hooks: the drain delay and the flag hook log their start and end while the pod stops',
  t(async () => {
    const charts = auditCharts({ namespace: auditNs, hostPath, pods: [{ podName: 'audited' }], collectorName: 'collector' });
    // The collector first, as on a real node: it makes incoming/ writable for the non-root audited pod.
    await apply(objectsYaml(charts.collectorObjects()));
    const collector = await waitFor('the collector pod', async () => (await podNames(auditNs, 'e2e-app=collector'))[0], {
      timeoutMs: 30_000,
    });
    await waitPodReady(auditNs, collector, 90_000);
    await apply(objectsYaml(charts.pods()));
    await waitPodReady(auditNs, 'audited', 90_000);
    const web = followLogs(ns, 'web', 'httpd');
    const audited = followLogs(auditNs, 'audited', 'httpd');
    // Both followers must be attached before the pods stop.
    await waitFor('the followers', async () => web.text().includes('[post-start-page]') && audited.text().includes('[post-start-page]'), {
      timeoutMs: 20_000,
    });
    await kubectl(['delete', 'pod', '-n', ns, 'web', '--wait=false']);
    await kubectl(['delete', 'pod', '-n', auditNs, 'audited', '--wait=false']);
    const [webText, auditedText] = await Promise.all([web.ended(60_000), audited.ended(60_000)]);
    const hookLines = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`[${name}]`));
    expect(hookLines(webText, 'drain-delay')).toEqual(['[drain-delay] running', '[drain-delay] exit status 0']);
    expect(hookLines(auditedText, 'pre-stop-flag')).toEqual(['[pre-stop-flag] running', '[pre-stop-flag] exit status 0']);
  }),
  150_000,
);
