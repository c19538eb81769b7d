// A non-root audited pod on a node the collector has not reached yet: its incoming/ mount is
// a hostPath of type Directory, so the kubelet holds it (FailedMount) instead of starting a
// pod whose flag file could not be written; it starts once the collector has made incoming/,
// and its flag file is collected.
import { CLEANUP_LOG, auditCharts } from './support/charts';
import {
  apply,
  createNamespace,
  deleteNamespaces,
  events,
  exec,
  getJson,
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

const hostPath = trackPath(`/tmp/e2e-audit-wait-${randomSuffix()}`);
let ns = '';
const t = (body: () => Promise<void>) => withDiagnostics(() => [ns], body);

beforeAll(async () => {
  ns = await createNamespace('auditwait', 'privileged');
}, 60_000);

afterAll(async () => {
  if (ns) {
    await kubectl(['delete', 'daemonset,pod', '-n', ns, '-l', 'e2e-app', '--wait=true', '--timeout=60s'], {
      allowFail: true,
      timeoutMs: 70_000,
    }).catch(() => undefined);
  }
  await deleteNamespaces([ns]);
  removePath(hostPath);
}, 120_000);

test(
  'an audited pod on a node the collector has not reached yet waits for it, starts once incoming/ exists, and its flag file is collected',
  t(async () => {
    const charts = auditCharts({ namespace: ns, hostPath, collectorName: 'collector', pollSeconds: 2, pods: [{ podName: 'early' }] });
    await apply(objectsYaml(charts.pods()));
    const failedMount = await waitFor('a FailedMount event of the audited pod', async () => {
      const found = await events(ns, { object: 'early', reason: 'FailedMount' });
      return found.length > 0 ? found[0] : undefined;
    });
    expect(failedMount.message).toMatch(/incoming/);
    expect((await getJson(['pod', '-n', ns, 'early'])).status.phase).toBe('Pending');

    await apply(objectsYaml(charts.collectorObjects()));
    // The kubelet retries the mount with a growing back-off (at most about 2 minutes).
    const pod = await waitPodReady(ns, 'early', 180_000);
    const uid: string = pod.metadata.uid;
    const [collector] = await podNames(ns, 'e2e-app=collector');
    await kubectl(['delete', 'pod', '-n', ns, 'early', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 });
    const log = await waitFor(
      'the collector to clean up after the pod',
      async () => {
        const r = await exec(ns, collector, 'collector', ['cat', `${charts.mountPath}/${CLEANUP_LOG}`], { allowFail: true });
        return r.stdout.includes(uid) ? r.stdout : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(log.split('\n').filter((line) => line.includes(uid))).toHaveLength(1);
  }),
  360_000,
);
