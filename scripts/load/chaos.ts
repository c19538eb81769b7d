// `npm run load:chaos -- [--pods N] [--wave N] [--kills N] [--poll S]`: PreStopAuditedPods
// stopped in waves while the PreStopAuditCollector's pod is killed at random moments
// (`kubectl delete`, SIGKILL of its shell by the runtime, a kill of its pod sandbox: the
// node-local restart). Built on the construct API only (not on the collector script's
// internals). Counts every flag file's cleanups (lost, once, repeated, and re-runs after a
// kill mid-cleanup), the time from a pod's stop to its cleanup, the collector's CPU and
// memory from its cgroup (cgroup v1 on the kit) and the most cleanups in one poll interval.
// Bounded in time and count; deletes what it made. Figures: BENCHMARKS.md, "0.3".
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { kitProbes, relocateHostPath } from '../../test/e2e/support/charts';
import {
  Json,
  apply,
  createNamespace,
  deleteNamespaces,
  getJson,
  kubectl,
  objectsYaml,
  randomSuffix,
  removePath,
  run,
  sleep,
} from '../../test/e2e/support/kube';
import { PreStopAuditCollector, PreStopAuditedPod, Warnings } from '../../test/e2e/support/lib';

const CTR = '/tmp/kube-kit/node-root/usr/bin/ctr';
const CONTAINERD = '/tmp/kube-kit/data/node/containerd/containerd.sock';
const LOG = 'chaos-cleanups.log';

export interface ChaosOptions {
  readonly pods: number;
  readonly wave: number;
  readonly kills: number;
  readonly pollSeconds: number;
}

export interface ChaosReport {
  readonly pods: number;
  readonly kills: readonly string[];
  readonly lost: number;
  readonly once: number;
  readonly repeated: number;
  readonly rerunsAfterKill: number;
  readonly leftFlagFiles: number;
  readonly processedFlagFiles: number;
  readonly stopToCleanupP50: number;
  readonly stopToCleanupP99: number;
  readonly maxPerPoll: number;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly maxMemoryMiB: number;
  readonly seconds: number;
}

/** The audited pods of one wave and the collector, through the constructs. */
function build(ns: string, hostPath: string, names: readonly string[], pollSeconds: number) {
  const chart = new Chart(new App(), 'chaos', { namespace: ns });
  let shared: PreStopAuditedPod['flagDirectory'] | undefined;
  for (const name of names) {
    const pod = new PreStopAuditedPod(chart, name, {
      flagDirectory: shared,
      podName: name,
      serviceName: name,
      serviceType: kplus.ServiceType.CLUSTER_IP,
      labels: { 'chaos-wave': name.split('-')[1] },
      ...kitProbes('/index.html'),
    });
    shared = pod.flagDirectory;
    // The harness relocates the directory to its own (relocateHostPath).
    Warnings.of(pod).acknowledge('HOST_PATH_IN_TMP');
  }
  const collector = new PreStopAuditCollector(chart, 'collector', {
    flagDirectory: shared,
    name: 'collector',
    labels: { 'chaos-role': 'collector' },
    pollInterval: Duration.seconds(pollSeconds),
    cleanupTimeout: Duration.seconds(20),
    cleanupCommand: [
      '/bin/sh',
      '-c',
      'printf "%s %s %s %s %s\\n" "$POD_UID" "$POD_NAME" "$CLEANUP_ATTEMPT" "$STOPPED_AT" "$(date -u +%s)" >> "$1/' + LOG + '"',
      'cleanup',
      collector_mount(shared),
    ],
  });
  Warnings.of(collector).acknowledge('HOST_PATH_IN_TMP');
  const objects = relocateHostPath(chart.toJson(), collector.flagDirectory.hostPath, hostPath);
  // 100 httpd pods at the library's 50m request do not fit the kit's 2 cores: ask for little.
  for (const o of objects) {
    for (const c of o.kind === 'Pod' ? o.spec.containers : [])
      c.resources = { requests: { cpu: '5m', memory: '16Mi' }, limits: c.resources?.limits };
  }
  return objects;
}

function collector_mount(dir: PreStopAuditedPod['flagDirectory'] | undefined): string {
  return dir?.mountPath ?? '/preStopScriptOutput';
}

async function collectorPod(ns: string): Promise<Json | undefined> {
  const list = await getJson(['pods', '-n', ns, '-l', 'chaos-role=collector']);
  return list.items.find((p: Json) => !p.metadata.deletionTimestamp && p.status?.containerStatuses?.[0]?.state?.running);
}

/** The collector container's cgroup readings, by container id (cgroup v1, cgroupfs driver; the kit puts them under k8s.io/<id>). */
function cgroupReading(containerId: string): { cpuNs: number; maxBytes: number } | undefined {
  try {
    const find = (root: string) =>
      execFileSync('find', [root, '-maxdepth', '4', '-type', 'd', '-name', `${containerId}*`], {
        encoding: 'utf8',
        timeout: 5000,
        stdio: ['ignore', 'pipe', 'ignore'],
      }).split('\n')[0];
    const cpu = find('/sys/fs/cgroup/cpuacct');
    const mem = find('/sys/fs/cgroup/memory');
    if (!cpu || !mem) return undefined;
    return {
      cpuNs: Number(readFileSync(`${cpu}/cpuacct.usage`, 'utf8')),
      maxBytes: Number(readFileSync(`${mem}/memory.max_usage_in_bytes`, 'utf8')),
    };
  } catch {
    return undefined;
  }
}

const KILLS = ['delete', 'sigkill-shell', 'kill-sandbox'] as const;

async function kill(ns: string, method: (typeof KILLS)[number]): Promise<string> {
  // The collector may still be restarting after the previous kill: wait for it (bounded).
  let pod: Json | undefined;
  for (let i = 0; i < 60 && !pod; i++) {
    pod = await collectorPod(ns);
    if (!pod) await sleep(500);
  }
  if (!pod) return `${method}: no running collector`;
  const ctr = (...args: string[]) => run(CTR, ['--address', CONTAINERD, '-n', 'k8s.io', ...args], { timeoutMs: 20_000, allowFail: true });
  if (method === 'delete') await kubectl(['delete', 'pod', '-n', ns, pod.metadata.name, '--wait=false']);
  else if (method === 'sigkill-shell')
    await ctr('tasks', 'kill', '-s', 'SIGKILL', pod.status.containerStatuses[0].containerID.replace(/^containerd:\/\//, ''));
  else {
    const sandbox = (
      await ctr('containers', 'ls', '-q', `labels."io.kubernetes.pod.uid"==${pod.metadata.uid},labels."io.cri-containerd.kind"==sandbox`)
    ).stdout.trim();
    if (sandbox) await ctr('tasks', 'kill', '-s', 'SIGKILL', sandbox);
  }
  return `${new Date().toISOString()} ${method} ${pod.metadata.name}`;
}

const quantile = (sorted: readonly number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;

export async function runChaos(options: ChaosOptions, log = console.log): Promise<ChaosReport> {
  const started = Date.now();
  const ns = await createNamespace('chaos', 'privileged');
  const hostPath = `/tmp/load-chaos-${randomSuffix()}`;
  mkdirSync(hostPath, { recursive: true });
  const kills: string[] = [];
  const killTimes: number[] = [];
  const uids = new Map<string, string>();
  const cgroups = new Map<string, { cpuNs: number; maxBytes: number }>();
  const names = Array.from({ length: options.pods }, (_, i) => `audited-w${Math.floor(i / options.wave)}-${String(i).padStart(3, '0')}`);
  const all = build(ns, hostPath, names, options.pollSeconds);
  try {
    await apply(objectsYaml(all.filter((o: Json) => o.kind === 'DaemonSet')));
    let chaosDone = false;
    const sampler = (async () => {
      while (!chaosDone) {
        const pod = await collectorPod(ns).catch(() => undefined);
        const id = pod?.status.containerStatuses[0].containerID?.replace(/^containerd:\/\//, '');
        const reading = id && cgroupReading(id);
        if (id && reading) cgroups.set(id, reading);
        await sleep(1000);
      }
    })();
    const waves = Math.ceil(options.pods / options.wave);
    // Kill moments: while a wave's flag files arrive and are cleaned up, at a random moment
    // within 3 poll intervals of the wave's stop; the kills spread evenly over the waves.
    let killed = 0;
    const killDuringWave = async (w: number) => {
      const due = Math.round(((w + 1) * options.kills) / waves) - killed;
      for (let k = 0; k < due; k++) {
        await sleep(Math.random() * options.pollSeconds * 3000);
        killTimes.push(Date.now() / 1000);
        kills.push(await kill(ns, KILLS[killed++ % KILLS.length]).catch((e) => `kill failed: ${e}`));
        log(kills[kills.length - 1]);
      }
    };
    for (let w = 0; w < waves; w++) {
      const label = `w${w}`;
      const wave = all.filter(
        (o: Json) => o.metadata?.labels?.['chaos-wave'] === label || (o.kind === 'Service' && o.metadata.name.includes(`-${label}-`)),
      );
      await apply(objectsYaml(wave));
      await kubectl(['wait', '-n', ns, '--for=condition=Ready', 'pod', '-l', `chaos-wave=${label}`, '--timeout=120s'], {
        timeoutMs: 130_000,
        allowFail: true,
      });
      const pods = await getJson(['pods', '-n', ns, '-l', `chaos-wave=${label}`]);
      for (const p of pods.items) uids.set(p.metadata.uid, p.metadata.name);
      const chaos = killDuringWave(w);
      await kubectl(['delete', 'pod', '-n', ns, '-l', `chaos-wave=${label}`, '--wait=true', '--timeout=90s'], {
        timeoutMs: 100_000,
        allowFail: true,
      });
      await chaos;
      log(`wave ${w}: ${pods.items.length} pods stopped`);
    }
    // Every flag file cleaned: none left outside processed/ (new, processing/, failed/), bounded.
    const countTxt = (d: string, skip?: string): number =>
      existsSync(d)
        ? readdirSync(d, { withFileTypes: true }).reduce(
            (n, e) => n + (e.isDirectory() ? (e.name === skip ? 0 : countTxt(`${d}/${e.name}`)) : e.name.endsWith('.txt') ? 1 : 0),
            0,
          )
        : 0;
    const flagFiles = () => countTxt(hostPath, 'processed');
    for (let i = 0; i < 120 && flagFiles() > 0; i++) await sleep(1000);
    chaosDone = true;
    await sampler;
    const lines = existsSync(`${hostPath}/${LOG}`) ? readFileSync(`${hostPath}/${LOG}`, 'utf8').split('\n').filter(Boolean) : [];
    const byUid = new Map<string, { attempt: string; stopped: number; cleaned: number }[]>();
    for (const line of lines) {
      const [uid, , attempt, stoppedAt, cleanedAt] = line.split(' ');
      byUid.set(uid, [...(byUid.get(uid) ?? []), { attempt, stopped: Date.parse(stoppedAt) / 1000, cleaned: Number(cleanedAt) }]);
    }
    let lost = 0;
    let once = 0;
    let repeated = 0;
    let reruns = 0;
    const delays: number[] = [];
    for (const uid of uids.keys()) {
      const runs = byUid.get(uid) ?? [];
      if (runs.length === 0) lost++;
      else {
        once++;
        delays.push(runs[0].cleaned - runs[0].stopped);
        for (const r of runs.slice(1)) {
          // A re-run after a kill mid-cleanup: a kill within 5 s after the run before it.
          if (killTimes.some((t) => t >= runs[0].cleaned - 1 && t <= runs[0].cleaned + 5 && r.cleaned >= t)) reruns++;
          else repeated++;
        }
      }
    }
    delays.sort((a, b) => a - b);
    const times = lines.map((l) => Number(l.split(' ')[4])).sort((a, b) => a - b);
    let maxPerPoll = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= options.pollSeconds) j++;
      maxPerPoll = Math.max(maxPerPoll, i - j + 1);
    }
    const readings = [...cgroups.values()];
    const seconds = (Date.now() - started) / 1000;
    return {
      pods: uids.size,
      kills,
      lost,
      once,
      repeated,
      rerunsAfterKill: reruns,
      leftFlagFiles: flagFiles(),
      processedFlagFiles: countTxt(`${hostPath}/processed`),
      stopToCleanupP50: quantile(delays, 0.5),
      stopToCleanupP99: quantile(delays, 0.99),
      maxPerPoll,
      cpuSeconds: readings.reduce((s, r) => s + r.cpuNs, 0) / 1e9,
      wallSeconds: seconds,
      maxMemoryMiB: Math.max(0, ...readings.map((r) => r.maxBytes)) / 1048576,
      seconds,
    };
  } finally {
    await deleteNamespaces([ns], 60_000);
    removePath(hostPath);
  }
}

function flag(name: string, fallback: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return Math.min(max, i >= 0 ? Number(process.argv[i + 1]) : fallback);
}

// Run by `node scripts/run-ts.js scripts/load/chaos.ts` (not when a test imports it).
if (process.argv[1]?.endsWith('chaos.js')) {
  const limit = setTimeout(() => (console.error('load:chaos: time limit (20 min) reached'), process.exit(1)), 20 * 60_000);
  limit.unref();
  runChaos({
    pods: flag('pods', 100, 300),
    wave: flag('wave', 20, 50),
    kills: flag('kills', 6, 30),
    pollSeconds: flag('poll', 2, 60),
  }).then(
    (r) => (console.log(JSON.stringify(r, null, 1)), process.exit(0)),
    (e) => (console.error(e), process.exit(1)),
  );
}
