// `npm run load:chaos -- [--pods N] [--wave N] [--kills N] [--poll S] [--cleanup-sleep S]`: PreStopAuditedPods
// stopped in waves while the PreStopAuditCollector's pod is killed at random moments
// (`kubectl delete`, SIGKILL of its shell by the runtime, a kill of its pod sandbox: the
// node-local restart). Built on the construct API only (not on the collector script's
// internals). Counts every flag file's cleanups (lost, once, repeated, and re-runs after a
// kill mid-cleanup), the time from a pod's stop to its cleanup, the collector's CPU and
// memory from its cgroup (cgroup v1 on the kit) and the most cleanups in one poll interval.
// `npm run load:chaos -- --burst N [--poll S] [--cpu M]`: no pods and no kills; N valid flag files
// appear at once in the node directory's incoming/ (written as the preStop hook writes
// them: a hidden temporary name, then a rename), and the run measures how many one
// collector cleans within one poll interval: its ceiling per node (`--cpu M`: the collector's
// CPU limit in millicores instead of the library's 100m).
// Bounded in time and count; deletes what it made. Figures: BENCHMARKS.md, "0.3".
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { App, Chart, Duration, Size } from 'cdk8s';
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
  waitFor,
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
  /**
   * Seconds each cleanup sleeps after recording its run, so that more kills land mid-cleanup
   * and the documented re-run shows in the report (`--cleanup-sleep S`). @default 0
   */
  readonly cleanupSleepSeconds?: number;
}

export interface ChaosReport {
  readonly pods: number;
  /** Each kill, with its moment relative to the waves' stops. */
  readonly kills: readonly string[];
  readonly waves: readonly WaveTiming[];
  readonly lost: number;
  readonly once: number;
  readonly repeated: number;
  readonly rerunsAfterKill: number;
  /** Each second run of a cleanup, re-run or repeated, with its moments and the kills'. */
  readonly cleanedAgain: readonly string[];
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
function build(
  ns: string,
  hostPath: string,
  names: readonly string[],
  pollSeconds: number,
  collectorCpuMillis?: number,
  cleanupSleepSeconds = 0,
) {
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
    // The library's default (100m) unless the burst asks for another CPU limit.
    resources:
      collectorCpuMillis === undefined
        ? undefined
        : { cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(collectorCpuMillis) }, memory: { limit: Size.mebibytes(64) } },
    cleanupCommand: [
      '/bin/sh',
      '-c',
      // The sixth field: the node's uptime (10 ms steps, read by a builtin) for the per-interval counts.
      'read up _ </proc/uptime; printf "%s %s %s %s %s %s\\n" "$POD_UID" "$POD_NAME" "$CLEANUP_ATTEMPT" "$STOPPED_AT" "$(date -u +%s)" "$up" >> "$1/' +
        LOG +
        '"' +
        (cleanupSleepSeconds > 0 ? `; sleep ${cleanupSleepSeconds}` : ''),
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

/** The node's uptime in seconds, the clock of the cleanup log's sixth field. */
const uptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);

/**
 * A kill: when it was issued and when the container was seen stopped (node uptime; a
 * deleted collector finishes its current cleanup first), and the flag files it left in processing/.
 */
export interface KillRecord {
  readonly uptime: number;
  readonly stopped: number;
  readonly unfinished: readonly string[];
}

/**
 * Kills the running collector one way, waits (bounded) until its container has stopped, and
 * lists what it left in processing/: the files a restart may clean again (the documented re-run).
 */
async function kill(ns: string, hostPath: string, method: (typeof KILLS)[number]): Promise<{ line: string; record?: KillRecord }> {
  // The collector may still be restarting after the previous kill: wait for it (bounded).
  let pod: Json | undefined;
  for (let i = 0; i < 60 && !pod; i++) {
    pod = await collectorPod(ns);
    if (!pod) await sleep(500);
  }
  if (!pod) return { line: `${method}: no running collector` };
  const ctr = (...args: string[]) => run(CTR, ['--address', CONTAINERD, '-n', 'k8s.io', ...args], { timeoutMs: 20_000, allowFail: true });
  const container = pod.status.containerStatuses[0].containerID.replace(/^containerd:\/\//, '');
  const at = uptime();
  if (method === 'delete') await kubectl(['delete', 'pod', '-n', ns, pod.metadata.name, '--wait=false']);
  else if (method === 'sigkill-shell') await ctr('tasks', 'kill', '-s', 'SIGKILL', container);
  else {
    const sandbox = (
      await ctr('containers', 'ls', '-q', `labels."io.kubernetes.pod.uid"==${pod.metadata.uid},labels."io.cri-containerd.kind"==sandbox`)
    ).stdout.trim();
    if (sandbox) await ctr('tasks', 'kill', '-s', 'SIGKILL', sandbox);
  }
  let line = `${new Date().toISOString()} ${method} ${pod.metadata.name}`;
  // A deleted or sandbox-killed collector gets SIGTERM and may finish its cleanup first. A
  // failed `ctr` (a busy node) tells nothing: not "stopped" (that listed processing/ too early).
  const stopped = async () => {
    const tasks = await ctr('tasks', 'ls');
    return tasks.code === 0 && !tasks.stdout.split('\n').some((l) => l.startsWith(container) && /\bRUNNING\b/.test(l));
  };
  const seen = await waitFor('the killed collector to stop', stopped, { timeoutMs: 45_000, intervalMs: 200 }).catch(() => false);
  if (!seen) line += ' (not seen stopped within 45 s)';
  const processing = `${hostPath}/processing`;
  return { line, record: { uptime: at, stopped: uptime(), unfinished: existsSync(processing) ? readdirSync(processing) : [] } };
}

const quantile = (sorted: readonly number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;

/** One line of the cleanup log: a run of the cleanup for a flag file. */
export interface Cleanup {
  readonly uid: string;
  readonly attempt: string;
  /** `STOPPED_AT` and the cleanup's time, epoch seconds. */
  readonly stopped: number;
  readonly cleaned: number;
  /** The node's uptime at the cleanup, seconds (10 ms steps). */
  readonly uptime: number;
}

function readCleanups(hostPath: string): Cleanup[] {
  const file = `${hostPath}/${LOG}`;
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  return lines.map((line) => {
    const [uid, , attempt, stoppedAt, cleanedAt, uptime] = line.split(' ');
    return { uid, attempt, stopped: Date.parse(stoppedAt) / 1000, cleaned: Number(cleanedAt), uptime: Number(uptime) };
  });
}

/** The most cleanups within any window of `seconds` (by the node's uptime). */
function maxInWindow(cleanups: readonly Cleanup[], seconds: number): number {
  const times = cleanups.map((c) => c.uptime).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= seconds) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** The `.txt` files under `dir`, without those under the subdirectory `skip`. */
function countTxt(dir: string, skip?: string): number {
  return existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).reduce(
        (n, e) => n + (e.isDirectory() ? (e.name === skip ? 0 : countTxt(`${dir}/${e.name}`)) : e.name.endsWith('.txt') ? 1 : 0),
        0,
      )
    : 0;
}

/** Samples the collector container's cgroup every second until `done()`; readings by container id. */
function sampleCollector(ns: string, done: () => boolean) {
  const cgroups = new Map<string, { cpuNs: number; maxBytes: number }>();
  const finished = (async () => {
    while (!done()) {
      const pod = await collectorPod(ns).catch(() => undefined);
      const id = pod?.status.containerStatuses[0].containerID?.replace(/^containerd:\/\//, '');
      const reading = id && cgroupReading(id);
      if (id && reading) cgroups.set(id, reading);
      await sleep(1000);
    }
  })();
  return {
    finished,
    cpuSeconds: () => [...cgroups.values()].reduce((s, r) => s + r.cpuNs, 0) / 1e9,
    maxMemoryMiB: () => Math.max(0, ...[...cgroups.values()].map((r) => r.maxBytes)) / 1048576,
  };
}

/**
 * Whether `again`, a second run of a file's cleanup after `before`, is the documented re-run
 * after a kill mid-cleanup (or between the cleanup's success and the move): a kill was issued
 * before `again` and its collector was seen stopped after `before` began, and the kill left
 * the file in processing/. The evidence for the last: the file's name in processing/ once the
 * killed container stopped, or `again` carrying the next CLEANUP_ATTEMPT. The listing alone
 * can miss it: a restarted collector (the runtime restarts a SIGKILLed one at once) may re-run
 * the file and move it before a loaded node lets the harness see the stop. The attempt cannot:
 * a run the collector did not finish keeps its attempt mark while the file stays in
 * processing/, so the re-run is attempt n + 1; a file that reached processed/ loses its marks,
 * so a run of it again would be attempt 1.
 */
export function rerunAfterKill(uid: string, before: Cleanup, again: Cleanup, kills: readonly KillRecord[]): KillRecord | undefined {
  const nextAttempt = Number(again.attempt) === Number(before.attempt) + 1;
  return kills.find(
    (k) => k.stopped >= before.uptime && k.uptime <= again.uptime && (nextAttempt || k.unfinished.some((n) => n.includes(uid))),
  );
}

/**
 * Each flag file's cleanups, by the UIDs of the stopped pods. A second run is a re-run when
 * {@link rerunAfterKill} says so, else repeated. Both are described in `detail`.
 */
export function tally(uids: Iterable<string>, cleanups: readonly Cleanup[], kills: readonly KillRecord[]) {
  const byUid = new Map<string, Cleanup[]>();
  for (const c of cleanups) byUid.set(c.uid, [...(byUid.get(c.uid) ?? []), c]);
  let lost = 0;
  let once = 0;
  let repeated = 0;
  let reruns = 0;
  const delays: number[] = [];
  const detail: string[] = [];
  for (const uid of uids) {
    const runs = byUid.get(uid) ?? [];
    if (runs.length === 0) lost++;
    else {
      once++;
      delays.push(runs[0].cleaned - runs[0].stopped);
      for (let i = 1; i < runs.length; i++) {
        const [before, again] = [runs[i - 1], runs[i]];
        const excuse = rerunAfterKill(uid, before, again, kills);
        if (excuse) reruns++;
        else repeated++;
        const killsAt = kills.map((k) => `${k.uptime.toFixed(2)}-${k.stopped.toFixed(2)}`).join(', ');
        detail.push(
          `${excuse ? 're-run' : 'REPEATED'} ${uid}: runs at uptime ${before.uptime} (attempt ${before.attempt}) and ${again.uptime} (attempt ${again.attempt}); kills at ${killsAt}`,
        );
      }
    }
  }
  delays.sort((a, b) => a - b);
  return { lost, once, repeated, reruns, detail, p50: quantile(delays, 0.5), p99: quantile(delays, 0.99) };
}

/** When a wave's stop began and ended (`kubectl delete` of its pods), seconds from the start. */
export interface WaveTiming {
  readonly wave: number;
  readonly stopFrom: number;
  readonly stopTo: number;
}

/** Where a kill fell: `wave 2 stop +4.1 s` (after the wave's `kubectl delete` began), or between waves. */
function killMoment(at: number, waves: readonly WaveTiming[]): string {
  const w = [...waves].reverse().find((x) => x.stopFrom <= at);
  if (!w) return `t+${at.toFixed(1)} s, before wave 0's stop`;
  return `t+${at.toFixed(1)} s, wave ${w.wave} stop +${(at - w.stopFrom).toFixed(1)} s (its delete took ${(w.stopTo - w.stopFrom).toFixed(1)} s)`;
}

/** Flag files written (`STOPPED_AT`) but not yet cleaned at epoch second `t`: the collector's work at a kill. */
function pendingAt(t: number, cleanups: readonly Cleanup[]): number {
  const first = new Map<string, Cleanup>();
  for (const c of cleanups) if (!first.has(c.uid)) first.set(c.uid, c);
  return [...first.values()].filter((c) => c.stopped <= t && t < c.cleaned).length;
}

export async function runChaos(options: ChaosOptions, log = console.log): Promise<ChaosReport> {
  const started = Date.now();
  const since = () => (Date.now() - started) / 1000;
  const ns = await createNamespace('chaos', 'privileged');
  const hostPath = `/tmp/load-chaos-${randomSuffix()}`;
  mkdirSync(hostPath, { recursive: true });
  const kills: string[] = [];
  const killTimes: number[] = [];
  const killAt: number[] = [];
  const killRecords: KillRecord[] = [];
  const waveTimes: WaveTiming[] = [];
  const uids = new Map<string, string>();
  const names = Array.from({ length: options.pods }, (_, i) => `audited-w${Math.floor(i / options.wave)}-${String(i).padStart(3, '0')}`);
  const all = build(ns, hostPath, names, options.pollSeconds, undefined, options.cleanupSleepSeconds);
  try {
    await apply(objectsYaml(all.filter((o: Json) => o.kind === 'DaemonSet')));
    let chaosDone = false;
    const sampler = sampleCollector(ns, () => chaosDone);
    const waves = Math.ceil(options.pods / options.wave);
    // Kill moments: while the collector has work, at a random moment within one poll interval
    // after a flag file waits (in incoming/, processing/ or as an attempt mark; at most 60 s
    // after the wave's stop began). A fixed delay after the stop missed the work: under load
    // the kubelet runs the hooks seconds after the delete. The kills spread over the waves.
    let killed = 0;
    const waiting = async () => countTxt(hostPath, 'processed') > 0;
    const killDuringWave = async (w: number) => {
      const due = Math.round(((w + 1) * options.kills) / waves) - killed;
      for (let k = 0; k < due; k++) {
        await waitFor('a flag file to wait', waiting, { timeoutMs: 60_000, intervalMs: 200 }).catch(() => undefined);
        await sleep(Math.random() * options.pollSeconds * 1000);
        killTimes.push(Date.now() / 1000);
        killAt.push(since());
        const done = await kill(ns, hostPath, KILLS[killed++ % KILLS.length]).catch((e) => ({
          line: `kill failed: ${e}`,
          record: undefined,
        }));
        kills.push(done.line);
        if (done.record) killRecords.push(done.record);
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
      const stopFrom = since();
      const chaos = killDuringWave(w);
      await kubectl(['delete', 'pod', '-n', ns, '-l', `chaos-wave=${label}`, '--wait=true', '--timeout=90s'], {
        timeoutMs: 100_000,
        allowFail: true,
      });
      waveTimes.push({ wave: w, stopFrom, stopTo: since() });
      await chaos;
      log(`wave ${w}: ${pods.items.length} pods stopped`);
    }
    // Every flag file cleaned: none left outside processed/ (new, processing/, failed/), bounded.
    const flagFiles = () => countTxt(hostPath, 'processed');
    for (let i = 0; i < 120 && flagFiles() > 0; i++) await sleep(1000);
    chaosDone = true;
    await sampler.finished;
    const cleanups = readCleanups(hostPath);
    const counts = tally(uids.keys(), cleanups, killRecords);
    const seconds = since();
    return {
      pods: uids.size,
      kills: kills.map((k, i) => `${k} (${killMoment(killAt[i], waveTimes)}; ${pendingAt(killTimes[i], cleanups)} flag files waiting)`),
      waves: waveTimes,
      lost: counts.lost,
      once: counts.once,
      repeated: counts.repeated,
      rerunsAfterKill: counts.reruns,
      cleanedAgain: counts.detail,
      leftFlagFiles: flagFiles(),
      processedFlagFiles: countTxt(`${hostPath}/processed`),
      stopToCleanupP50: counts.p50,
      stopToCleanupP99: counts.p99,
      maxPerPoll: maxInWindow(cleanups, options.pollSeconds),
      cpuSeconds: sampler.cpuSeconds(),
      wallSeconds: seconds,
      maxMemoryMiB: sampler.maxMemoryMiB(),
      seconds,
    };
  } finally {
    await deleteNamespaces([ns], 60_000);
    removePath(hostPath);
  }
}

export interface BurstOptions {
  /** Flag files that appear at once. */
  readonly files: number;
  readonly pollSeconds: number;
  /** The collector container's CPU limit in millicores. @default - the library's (100m) */
  readonly collectorCpuMillis?: number;
}

export interface BurstReport {
  readonly files: number;
  readonly pollSeconds: number;
  readonly cpuLimit: string;
  /** Files cleaned (at least once), lost, cleaned again, and left outside processed/. */
  readonly once: number;
  readonly lost: number;
  readonly repeated: number;
  readonly leftFlagFiles: number;
  /** Seconds from the files' appearance to the first and the last cleanup. */
  readonly firstCleanup: number;
  readonly lastCleanup: number;
  /** The most cleanups within one poll interval (any window of `pollSeconds`). */
  readonly maxPerPoll: number;
  /** Cleanups per second from the first to the last. */
  readonly perSecond: number;
  readonly cpuSeconds: number;
  readonly maxMemoryMiB: number;
}

/**
 * Writes `files` valid flag files into `<hostPath>/incoming/` as the preStop hook does (a
 * hidden temporary name, then a rename; format v1), all renamed at once, and returns their UIDs.
 */
function writeFlagFiles(hostPath: string, files: number): string[] {
  const incoming = `${hostPath}/incoming`;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const stamp = now.replace(/[-:]/g, '');
  const uids: string[] = [];
  const names: [string, string][] = [];
  for (let i = 0; i < files; i++) {
    const uid = randomUUID();
    const pod = `burst-${String(i).padStart(5, '0')}`;
    const pid = 1000 + i;
    const header = ['format=cdk8s-pod-lifecycle/prestop-flag/v1', `stopped_at=${now}`, `pod=${pod}`, 'namespace=burst', `uid=${uid}`];
    const text = [...header, 'node=kit', 'container=cntr-httpd', '', `the pod ${pod} has been terminated`, ''].join('\n');
    const tmp = `${incoming}/.${pod}.${uid}.${stamp}.${pid}.txt.tmp.${pid}`;
    writeFileSync(tmp, text);
    names.push([tmp, `${incoming}/${pod}.${uid}.${stamp}.${pid}.txt`]);
    uids.push(uid);
  }
  for (const [from, to] of names) renameSync(from, to);
  return uids;
}

/** The collector alone, and `files` flag files at once: what it cleans within one poll interval. */
export async function runBurst(options: BurstOptions, log = console.log): Promise<BurstReport> {
  const ns = await createNamespace('burst', 'privileged');
  const hostPath = `/tmp/load-burst-${randomSuffix()}`;
  mkdirSync(hostPath, { recursive: true });
  try {
    await apply(objectsYaml(build(ns, hostPath, [], options.pollSeconds, options.collectorCpuMillis)));
    await waitFor('the collector to run', () => collectorPod(ns), { timeoutMs: 90_000 });
    // The collector made its state directories (and incoming/ at mode 1733): it has run a pass.
    await waitFor('the collector to make its directories', async () => existsSync(`${hostPath}/processed`), { timeoutMs: 30_000 });
    let done = false;
    const sampler = sampleCollector(ns, () => done);
    const uids = writeFlagFiles(hostPath, options.files);
    const appeared = uptime();
    log(`${options.files} flag files in incoming/ at uptime ${appeared}`);
    const flagFiles = () => countTxt(hostPath, 'processed');
    const limit = Math.max(120, options.files);
    for (let i = 0; i < limit * 2 && flagFiles() > 0; i++) await sleep(500);
    await sleep(2000);
    done = true;
    await sampler.finished;
    const cleanups = readCleanups(hostPath);
    const counts = tally(uids, cleanups, []);
    const times = cleanups.map((c) => c.uptime).sort((a, b) => a - b);
    const span = times.length > 1 ? times[times.length - 1] - times[0] : NaN;
    return {
      files: options.files,
      pollSeconds: options.pollSeconds,
      cpuLimit: options.collectorCpuMillis === undefined ? 'default (100m)' : `${options.collectorCpuMillis}m`,
      once: counts.once,
      lost: counts.lost,
      repeated: counts.repeated,
      leftFlagFiles: flagFiles(),
      firstCleanup: times[0] - appeared,
      lastCleanup: times[times.length - 1] - appeared,
      maxPerPoll: maxInWindow(cleanups, options.pollSeconds),
      perSecond: (times.length - 1) / span,
      cpuSeconds: sampler.cpuSeconds(),
      maxMemoryMiB: sampler.maxMemoryMiB(),
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
  const burst = flag('burst', 0, 5000);
  const pollSeconds = flag('poll', 2, 60);
  (burst > 0
    ? runBurst({ files: burst, pollSeconds, collectorCpuMillis: process.argv.includes('--cpu') ? flag('cpu', 100, 2000) : undefined })
    : runChaos({
        pods: flag('pods', 100, 300),
        wave: flag('wave', 20, 50),
        kills: flag('kills', 6, 30),
        pollSeconds,
        cleanupSleepSeconds: flag('cleanup-sleep', 0, 10),
      })
  ).then(
    (r) => (console.log(JSON.stringify(r, null, 1)), process.exit(0)),
    (e) => (console.error(e), process.exit(1)),
  );
}
