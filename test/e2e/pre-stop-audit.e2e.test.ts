// Issue 11, item 2 (and item 5's preStop timing): PreStopAuditedPod + PreStopAuditCollector
// in a `privileged` namespace, on a node directory of this run's own.
import { CLEANUP_LOG, auditCharts } from './support/charts';
import {
  apply,
  containerStatus,
  createNamespace,
  deleteNamespaces,
  exec,
  getJson,
  kubectl,
  objectsYaml,
  podNames,
  randomSuffix,
  removePath,
  trackPath,
  waitFor,
  waitForLogLine,
  waitPodReady,
  watchPod,
  withDiagnostics,
} from './support/kube';

const hostPath = trackPath(`/tmp/e2e-audit-${randomSuffix()}`);
const COLLECTOR = 'collector';
const DELAY = 2;
const GRACE = 10;
let ns = '';
let charts: ReturnType<typeof auditCharts>;
const t = (body: () => Promise<void>) => withDiagnostics(() => [ns], body);

// A busybox pod with the same node directory, to read it the way the node sees it (on the
// kit the node is this machine, elsewhere it is not).
const PROBE = 'probe';
const probe = (namespace: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: PROBE, namespace },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'probe',
        image: 'busybox:1.36.1',
        imagePullPolicy: 'IfNotPresent',
        command: ['sleep', '3600'],
        volumeMounts: [{ name: 'audit', mountPath: '/audit' }],
      },
    ],
    volumes: [{ name: 'audit', hostPath: { path: hostPath, type: 'DirectoryOrCreate' } }],
  },
});

interface Listing {
  /** Relative paths of the regular files, hidden ones included. */
  readonly files: string[];
  readonly log: string[];
}

async function listAudit(): Promise<Listing> {
  const r = await exec(ns, PROBE, 'probe', [
    'sh',
    '-c',
    `cd /audit && find . -type f | sort; echo '--- log'; cat ${CLEANUP_LOG} 2>/dev/null; true`,
  ]);
  const [files, log] = r.stdout.split('--- log\n');
  return {
    files: files
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^\.\//, ''))
      .filter((f) => f !== CLEANUP_LOG && f !== '.collector.lock' && f !== '.header'),
    log: (log ?? '').split('\n').filter(Boolean),
  };
}

const filesOf = (listing: Listing, pod: string, uid: string) =>
  listing.files.filter((f) => f.split('/').pop()!.startsWith(`${pod}.${uid}.`));

async function podIdentity(name: string): Promise<{ uid: string; node: string }> {
  const pod = await waitPodReady(ns, name);
  return { uid: pod.metadata.uid, node: pod.spec.nodeName };
}

async function collectorPod(): Promise<string> {
  return waitFor(
    'one running collector pod',
    async () => {
      const names = await podNames(ns, `e2e-app=${COLLECTOR}`);
      if (names.length !== 1) return undefined;
      await waitPodReady(ns, names[0], 30_000);
      return names[0];
    },
    { timeoutMs: 90_000 },
  );
}

beforeAll(async () => {
  ns = await createNamespace('audit', 'privileged');
  charts = auditCharts({
    namespace: ns,
    hostPath,
    collectorName: COLLECTOR,
    cleanupSleepSeconds: 3,
    pollSeconds: 2,
    pods: [
      { podName: 'audited-1', preStopDelaySeconds: DELAY, gracePeriodSeconds: GRACE },
      { podName: 'audited-2' },
      { podName: 'audited-3' },
      { podName: 'audited-4' },
      { podName: 'audited-5' },
    ],
  });
  await apply(objectsYaml([probe(ns)]));
  await waitPodReady(ns, PROBE);
  // What a collector that ran on the node before leaves: incoming/ writable by the audited
  // pods' non-root user (the kubelet would make it root-owned 0755).
  await exec(ns, PROBE, 'probe', ['sh', '-c', 'mkdir -p /audit/incoming && chmod 1733 /audit/incoming']);
  await apply(objectsYaml(charts.pods()));
}, 60_000);

afterAll(async () => {
  if (ns) {
    // Stop every writer first, then empty the directory (through the node's eyes), then
    // remove it here (on the kit it is this machine's path).
    await kubectl(['delete', 'daemonset,pod', '-n', ns, '-l', 'e2e-app', '--wait=true', '--timeout=60s'], {
      allowFail: true,
      timeoutMs: 70_000,
    }).catch(() => undefined);
    await exec(ns, PROBE, 'probe', ['sh', '-c', 'rm -rf /audit/* /audit/.[!.]*'], { allowFail: true }).catch(() => undefined);
  }
  // Nothing writes there any more: no need to wait for the namespace to be gone.
  await deleteNamespaces([ns]);
  removePath(hostPath);
}, 180_000);

test(
  'deleting the pod leaves exactly one complete flag file with the real pod name, namespace, UID and node; preStop ran within the grace period',
  t(async () => {
    const { uid, node } = await podIdentity('audited-1');
    const watch = await watchPod(ns, 'audited-1');
    const deletedAt = Date.now();
    await kubectl(['delete', 'pod', '-n', ns, 'audited-1', '--wait=false']);
    const gone = await watch.deleted((GRACE + 15) * 1000);
    watch.stop();
    // The container was stopped after the hook and within the grace period (+2 s slack
    // for the API round trips).
    expect(containerStatus(gone.object, 'httpd').state.terminated).toBeDefined();
    expect(gone.at - deletedAt).toBeLessThan((GRACE + 2) * 1000);

    const listing = await listAudit();
    const mine = filesOf(listing, 'audited-1', uid);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(new RegExp(`^incoming/audited-1\\.${uid}\\.\\d{8}T\\d{6}Z\\.\\d+\\.txt$`));
    expect(listing.files.filter((f) => f.includes('.tmp.'))).toEqual([]);

    const text = (await exec(ns, PROBE, 'probe', ['cat', `/audit/${mine[0]}`])).stdout;
    const [head, body] = text.split('\n\n');
    const header = Object.fromEntries(head.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(header).toEqual({
      format: 'cdk8s-pod-lifecycle/prestop-flag/v1',
      stopped_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      pod: 'audited-1',
      namespace: ns,
      uid,
      node,
      container: 'httpd',
    });
    expect(body).toMatch(/^the date is \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}\nthe pod audited-1 has been terminated\n/);
    expect(body.endsWith("team=e2e\nquote ' and $(id) stay literal\n")).toBe(true);
    // The hook slept preStopDelay first, and wrote the file within the grace period
    // (stopped_at has whole seconds; 1 s of clock slack).
    const stoppedAt = Date.parse(header.stopped_at);
    expect(stoppedAt).toBeGreaterThanOrEqual(Math.floor(deletedAt / 1000) * 1000 + (DELAY - 1) * 1000);
    expect(stoppedAt).toBeLessThanOrEqual(deletedAt + GRACE * 1000);
  }),
  90_000,
);

test(
  'the collector runs the cleanup once for it and moves the file to processed/',
  t(async () => {
    const uid = (await listAudit()).files
      .map((f) => f.split('/').pop()!)
      .find((f) => f.startsWith('audited-1.'))!
      .split('.')[1];
    await apply(objectsYaml(charts.collectorObjects()));
    const collector = await collectorPod();
    const done = await waitFor(
      'the flag file in processed/',
      async () => {
        const l = await listAudit();
        return filesOf(l, 'audited-1', uid).every((f) => f.startsWith('processed/')) && filesOf(l, 'audited-1', uid).length === 1
          ? l
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const node = (await getJson(['pod', '-n', ns, PROBE])).spec.nodeName;
    expect(done.log.filter((l) => l.includes(uid))).toEqual([`${ns} audited-1 ${uid} ${node} 1 ${collector}`]);
    // Two more poll intervals: still one run, nothing left in processing/ or failed/.
    await new Promise((r) => setTimeout(r, 5_000));
    const later = await listAudit();
    expect(later.log.filter((l) => l.includes(uid))).toHaveLength(1);
    expect(later.files.filter((f) => /^(processing|failed)\//.test(f))).toEqual([]);
  }),
  120_000,
);

test(
  'httpd runs without root (uid 10001) and can still write its flag file: incoming/ is the only part of the directory it sees',
  t(async () => {
    await waitPodReady(ns, 'audited-2');
    const r = await exec(ns, 'audited-2', 'httpd', [
      'sh',
      '-c',
      'for s in /proc/[0-9]*/status; do awk \'/^(Name|Uid):/{printf "%s ", $2} END{print ""}\' "$s"; done; ls -a /preStopScriptOutput 2>&1; true',
    ]);
    const uids = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(' '))
      .filter(([name]) => name === 'apache2' || name === 'httpd')
      .map(([, uid]) => uid);
    expect(uids.length).toBeGreaterThanOrEqual(2);
    expect(uids.every((u) => u === '10001')).toBe(true);
    // Its view is incoming/ only, which it may write to but not list (mode 1733).
    expect(r.stdout).toContain("ls: cannot open directory '/preStopScriptOutput': Permission denied");
  }),
  60_000,
);

test(
  'restarting the collector pod while files are pending loses none and repeats none',
  t(async () => {
    const pods = ['audited-2', 'audited-3', 'audited-4'];
    const uids = await Promise.all(pods.map(async (p) => (await podIdentity(p)).uid));
    const before = await collectorPod();
    await kubectl(['delete', 'pod', '-n', ns, ...pods, '--wait=false']);
    // The collector claims the files and starts the first cleanup (it sleeps 3 s each).
    await waitFor(
      'the first of the three cleanups to start',
      async () => (await listAudit()).log.some((l) => uids.some((u) => l.includes(u))),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    await kubectl(['delete', 'pod', '-n', ns, before, '--wait=false']);
    const atRestart = await listAudit();
    const pending = uids.filter((u) => !atRestart.files.some((f) => f.startsWith('processed/') && f.includes(u)));
    expect(pending.length).toBeGreaterThanOrEqual(2);
    expect(atRestart.files.filter((f) => f.startsWith('processing/')).length).toBeGreaterThanOrEqual(1);

    const after = await waitFor(
      'a new collector pod',
      async () => {
        const p = await collectorPod();
        return p !== before ? p : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(after).not.toBe(before);
    const final = await waitFor(
      'all three flag files in processed/',
      async () => {
        const l = await listAudit();
        return uids.every((u) => pods.some((p) => filesOf(l, p, u).length === 1 && filesOf(l, p, u)[0].startsWith('processed/')))
          ? l
          : undefined;
      },
      { timeoutMs: 90_000 },
    );
    const runs = uids.map((u) => final.log.filter((l) => l.includes(u)));
    for (const r of runs) expect(r).toHaveLength(1);
    // The old pod finished the cleanup it was in (SIGTERM never interrupts one); the new
    // one took over the rest from processing/.
    const by = runs.map((r) => r[0].split(' ')[5]);
    expect(by).toContain(before);
    expect(by).toContain(after);
    expect(by.every((p) => p === before || p === after)).toBe(true);
    expect(final.files.filter((f) => !f.startsWith('processed/'))).toEqual([]);
  }),
  240_000,
);

// What a hostile pod on the node can do: write anything into incoming/ (as the audited pods'
// user), quickly and forever. The collector fails each bad file and keeps processing.
const GARBAGE = 'garbage';
const garbageWriter = (namespace: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: GARBAGE, namespace, labels: { 'e2e-app': GARBAGE } },
  spec: {
    terminationGracePeriodSeconds: 1,
    securityContext: { runAsUser: 10001, runAsGroup: 10001 },
    containers: [
      {
        name: 'garbage',
        image: 'busybox:1.36.1',
        imagePullPolicy: 'IfNotPresent',
        command: [
          'sh',
          '-c',
          [
            'cd /in',
            `long=$(printf '%0246d' 0)`,
            "printf 'format=cdk8s-pod-lifecycle/prestop-flag/v1\\npod=x\\n\\n' > $long.txt",
            'dd if=/dev/zero of=big.txt bs=1M count=20 2>/dev/null',
            'mkfifo fifo.txt; ln -s /dev/zero zero.txt; mkdir dir.txt',
            'i=0; while :; do i=$((i+1)); head -c 300 /dev/urandom > junk-$i.txt; sleep 0.2; done',
          ].join('\n'),
        ],
        volumeMounts: [{ name: 'in', mountPath: '/in' }],
      },
    ],
    volumes: [{ name: 'in', hostPath: { path: `${hostPath}/incoming`, type: 'DirectoryOrCreate' } }],
  },
});

test(
  'a pod writing garbage into incoming/ (long names, a 20 MB file, a FIFO, links, a stream of junk) stops nothing: the audited pod is still cleaned up, the collector never restarts',
  t(async () => {
    const { uid } = await podIdentity('audited-5');
    await apply(objectsYaml([garbageWriter(ns)]));
    await waitPodReady(ns, GARBAGE);
    await waitFor(
      'junk in failed/',
      async () => ((await listAudit()).files.filter((f) => f.startsWith('failed/junk-')).length >= 5 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    await kubectl(['delete', 'pod', '-n', ns, 'audited-5', '--wait=false']);
    const done = await waitFor(
      'the flag file of audited-5 in processed/',
      async () => {
        const l = await listAudit();
        const mine = filesOf(l, 'audited-5', uid);
        return mine.length === 1 && mine[0].startsWith('processed/') ? l : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(done.log.filter((l) => l.includes(uid))).toHaveLength(1);
    expect(done.files).toEqual(expect.arrayContaining(['failed/big.txt', `failed/${'0'.repeat(246)}.txt`]));
    const collector = await collectorPod();
    const status = (await getJson(['pod', '-n', ns, collector])).status.containerStatuses[0];
    expect(status.restartCount).toBe(0);
    // The collector logs a move after it made it.
    await waitForLogLine(ns, collector, undefined, 'failed: big.txt: not a flag file');
  }),
  240_000,
);
