// Issue 11, item 1: HttpdWithPostStart on a real kubelet, in a namespace that enforces Pod
// Security `restricted`.
import { HOSTILE_LINES, postStartSite } from './support/charts';
import {
  apply,
  chartYaml,
  createNamespace,
  deleteNamespaces,
  exec,
  getJson,
  getThroughPortForward,
  waitFor,
  waitPodReady,
  withDiagnostics,
  Json,
} from './support/kube';

let ns = '';
const POD = 'web';
const t = (body: () => Promise<void>) => withDiagnostics(() => [ns], body);

beforeAll(async () => {
  ns = await createNamespace('httpd', 'restricted');
  await apply(chartYaml(postStartSite({ namespace: ns, podName: POD }).chart));
}, 60_000);

afterAll(() => deleteNamespaces([ns]), 60_000);

test(
  'the pod is admitted at restricted, becomes Running and Ready',
  t(async () => {
    const pod = await waitPodReady(ns, POD);
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.containerStatuses.every((s: Json) => s.ready && s.restartCount === 0)).toBe(true);
  }),
  120_000,
);

test(
  '/ is exactly the page the postStart hook wrote: the date line, then every line byte for byte',
  t(async () => {
    await waitPodReady(ns, POD);
    const res = await getThroughPortForward(ns, `pod/${POD}`, 80, '/');
    expect(res.status).toBe(200);
    const body = res.body.toString('utf8');
    expect(body).not.toContain('It works!');
    const [dateLine, ...rest] = body.split('\n');
    // `date` of the image: e.g. "Tue Dec  1 23:34:11 UTC 2026".
    expect(dateLine).toMatch(/^the date is: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \w+ \d{4}$/);
    expect(Buffer.from(rest.join('\n'), 'utf8').equals(Buffer.from(HOSTILE_LINES.map((l) => `${l}\n`).join(''), 'utf8'))).toBe(true);
    expect(rest.join('\n')).toBe(HOSTILE_LINES.map((l) => `${l}\n`).join(''));
    // Nothing the hostile lines name was executed.
    const pwned = await exec(ns, POD, 'httpd', ['sh', '-c', 'ls /tmp/PWNED 2>&1 || true']);
    expect(pwned.stdout).toMatch(/No such file/);
  }),
  120_000,
);

test(
  'the Service has the pod as its ready endpoint (EndpointSlice)',
  t(async () => {
    const pod = await waitPodReady(ns, POD);
    const ips = await waitFor(
      `an EndpointSlice of Service ${ns}/${POD} with the pod's IP`,
      async () => {
        const slices = await getJson(['endpointslices', '-n', ns, '-l', `kubernetes.io/service-name=${POD}`]);
        const ready = slices.items.flatMap((s: Json) =>
          (s.endpoints ?? []).filter((e: Json) => e.conditions?.ready && e.targetRef?.name === POD).flatMap((e: Json) => e.addresses),
        );
        return ready.includes(pod.status.podIP) ? ready : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(ips).toEqual([pod.status.podIP]);
    const svc = await getJson(['service', '-n', ns, POD]);
    expect(svc.spec.ports[0].port).toBe(80);
  }),
  60_000,
);

test(
  'started as 10001 (restricted), httpd and its workers all run as 10001: no User switch',
  t(async () => {
    await waitPodReady(ns, POD);
    const r = await exec(ns, POD, 'httpd', [
      'sh',
      '-c',
      'for s in /proc/[0-9]*/status; do awk \'/^(Name|Uid):/{printf "%s ", $2} END{print ""}\' "$s"; done',
    ]);
    const procs = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(' '))
      .filter(([name]) => name === 'apache2' || name === 'httpd');
    expect(procs.length).toBeGreaterThanOrEqual(2);
    expect(procs.every(([, uid]) => uid === '10001')).toBe(true);
  }),
  60_000,
);
