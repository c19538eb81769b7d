// kubectl, namespaces, bounded waits, port-forwards, watches and failure diagnostics for the
// end-to-end suite. Every call to the cluster has a deadline; nothing here waits forever.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- shared with globalSetup (plain JS)
const { record } = require('./run-state') as { record: (kind: string, value: string) => void };
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { Chart, Yaml } from 'cdk8s';

/** Kubernetes objects and API answers: free-form JSON the tests drill into. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects are walked field by field
export type Json = any;

/** The kubectl the suite runs: $KUBECTL, else the one on PATH, else the kit's. */
export function kubectlPath(): string {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  const onPath = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return onPath.stdout.trim();
  const kit = '/tmp/kube-kit/bin/kubectl';
  return existsSync(kit) ? kit : 'kubectl';
}

const KUBECTL = kubectlPath();

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KubectlOptions {
  /** Written to stdin. */
  readonly input?: string;
  /** Killed after this long. @default 60 s */
  readonly timeoutMs?: number;
  /** Return a failed result instead of throwing. */
  readonly allowFail?: boolean;
}

/** Runs a command with a deadline; throws on a non-zero exit unless `allowFail`. */
export function run(cmd: string, args: readonly string[], options: KubectlOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { code, stdout, stderr };
      if (timedOut) {
        reject(new Error(`${cmd} ${args.join(' ')}: no answer within ${timeoutMs / 1000} s\n${stderr}`));
      } else if (code !== 0 && !options.allowFail) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${stderr || stdout}`));
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** `kubectl <args>`, bounded. */
export function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<RunResult> {
  return run(KUBECTL, args, options);
}

/** `kubectl get -o json`, parsed. */
export async function getJson<T = Json>(args: readonly string[], options: KubectlOptions = {}): Promise<T> {
  const r = await kubectl(['get', ...args, '-o', 'json'], options);
  return JSON.parse(r.stdout) as T;
}

/** A chart's objects as one YAML stream, in the order cdk8s synth writes them. */
export function chartYaml(chart: Chart): string {
  return Yaml.stringify(...chart.toJson());
}

/** Objects as one YAML stream. */
export function objectsYaml(objects: readonly unknown[]): string {
  return Yaml.stringify(...objects);
}

/**
 * `kubectl apply` of YAML with client-side apply and strict field validation (kubectl's
 * default, written out): an unknown or duplicate field fails the call.
 */
export async function apply(yaml: string, extra: readonly string[] = []): Promise<RunResult> {
  refuseNetworkProbes(yaml);
  return kubectl(['apply', '--server-side=false', '--validate=strict', ...extra, '-f', '-'], { input: yaml });
}

/**
 * Refuses to create pods with HTTP, TCP or gRPC probes: the kubelet sends them from the node
 * to the pod IP, and on the cluster kit the node has no route to the pod network, so they
 * leave the machine through its default route. Give such pods exec probes (charts.ts).
 */
function refuseNetworkProbes(yaml: string): void {
  const found = /^\s*(httpGet|tcpSocket|grpc):/m.exec(yaml);
  if (found)
    throw new Error(`e2e: a manifest has a ${found[1]} probe, which would send traffic off the node on the kit; use an exec probe`);
}

/** A server-side dry run of `yaml` (nothing is stored); returns the result without throwing. */
export function dryRun(yaml: string, namespace?: string): Promise<RunResult> {
  const ns = namespace ? ['-n', namespace] : [];
  return kubectl(['apply', '--server-side=false', '--validate=strict', '--dry-run=server', ...ns, '-f', '-'], {
    input: yaml,
    allowFail: true,
  });
}

/** Thrown by a {@link waitFor} probe that knows waiting longer cannot help. */
export class GiveUp extends Error {}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined/false, or
 * throws after `timeoutMs` naming `what` and the last value or error seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 500 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e instanceof Error ? e.message : e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last: ${String(last).slice(0, 2000)}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Waits until the container's log has `line`: the kubelet writes a container's output to its
 * log a moment after the container printed it, so a line that goes with what a test just
 * observed (a page served) may not be there yet.
 */
export async function waitForLogLine(
  namespace: string,
  pod: string,
  container: string | undefined,
  line: string,
  timeoutMs = 15_000,
): Promise<string> {
  const args = ['logs', '-n', namespace, pod, ...(container === undefined ? [] : ['-c', container])];
  return waitFor(
    `the line ${JSON.stringify(line)} in the log of ${namespace}/${pod}${container === undefined ? '' : ` ${container}`}`,
    async () => {
      const logs = (await kubectl(args)).stdout;
      return logs.includes(line) ? logs : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/** Container waiting reasons that never resolve by waiting. */
const HOPELESS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);

/** Waits until the pod is Ready; fails early on a hopeless container state. Returns the pod. */
export async function waitPodReady(namespace: string, name: string, timeoutMs = 90_000): Promise<Json> {
  return waitFor(
    `pod ${namespace}/${name} to be Ready`,
    async () => {
      const r = await kubectl(['get', 'pod', '-n', namespace, name, '-o', 'json'], { allowFail: true, timeoutMs: 15_000 });
      if (r.code !== 0) return undefined;
      const pod = JSON.parse(r.stdout);
      const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
      for (const s of statuses) {
        const reason = s.state?.waiting?.reason;
        if (HOPELESS.has(reason))
          throw new GiveUp(`pod ${namespace}/${name}: container ${s.name} is ${reason}: ${s.state.waiting.message ?? ''}`);
      }
      const ready = (pod.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True');
      return ready ? pod : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/** The names of the pods matching a label selector. */
export async function podNames(namespace: string, selector: string): Promise<string[]> {
  const list = await getJson(['pods', '-n', namespace, '-l', selector]);
  return list.items.filter((p: Json) => !p.metadata.deletionTimestamp).map((p: Json) => p.metadata.name);
}

/** Events of one object (or the whole namespace) with a given reason. */
export async function events(namespace: string, { object, reason }: { object?: string; reason?: string } = {}): Promise<Json[]> {
  const selectors = [object ? `involvedObject.name=${object}` : '', reason ? `reason=${reason}` : ''].filter(Boolean);
  const args = ['events', '-n', namespace, ...(selectors.length ? ['--field-selector', selectors.join(',')] : [])];
  return (await getJson(args)).items;
}

/** Runs a command in a container. */
export async function exec(namespace: string, pod: string, container: string, command: readonly string[], options: KubectlOptions = {}) {
  return kubectl(['exec', '-i', '-n', namespace, pod, '-c', container, '--', ...command], { timeoutMs: 30_000, ...options });
}

// ---------------------------------------------------------------------------------------
// Namespaces and cleanup

/** The label every namespace of the suite carries, to find leftovers: `kubectl delete ns -l ...`. */
export const SUITE_LABEL = 'e2e.cdk8s-pod-lifecycle.io/suite';

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** A short random suffix: a-z0-9. */
export function randomSuffix(length = 6): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** A host directory (a hostPath of the kit's node) removed on Ctrl-C and by the teardown. */
export function trackPath(path: string): string {
  record('path', path);
  return path;
}

/** A long-running child (port-forward, watch) killed on Ctrl-C. */
export function trackChild(child: ChildProcess): ChildProcess {
  if (child.pid !== undefined) {
    const pid = child.pid;
    record('pid', String(pid));
    child.on('exit', () => record('pid-done', String(pid)));
  }
  return child;
}

/**
 * Creates `e2e-<tag>-<random>`, labelled for Pod Security (`enforce` and `warn` at
 * `level`) and with {@link SUITE_LABEL}; deleted by {@link deleteNamespaces}, on Ctrl-C
 * and by the teardown.
 */
export async function createNamespace(tag: string, level: PodSecurityLevel): Promise<string> {
  const name = `e2e-${tag}-${randomSuffix()}`;
  record('namespace', name);
  const ns = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        [SUITE_LABEL]: 'true',
        'pod-security.kubernetes.io/enforce': level,
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': level,
        'pod-security.kubernetes.io/warn-version': 'latest',
      },
    },
  };
  await apply(objectsYaml([ns]));
  await waitFor(
    `ServiceAccount ${name}/default`,
    async () => (await kubectl(['get', 'sa', '-n', name, 'default'], { allowFail: true })).code === 0,
    {
      timeoutMs: 30_000,
      intervalMs: 300,
    },
  );
  return name;
}

/**
 * Deletes the given namespaces (and everything in them). With `waitMs`, waits that long at
 * most for them to be gone (their pods' preStop hooks run first); never throws.
 */
export async function deleteNamespaces(names: readonly string[], waitMs = 0): Promise<void> {
  const list = names.filter(Boolean);
  if (!list.length) return;
  await kubectl(['delete', 'namespace', '--wait=false', '--ignore-not-found', ...list], { allowFail: true, timeoutMs: 30_000 }).catch(
    () => undefined,
  );
  if (waitMs > 0) {
    await kubectl(['wait', '--for=delete', `--timeout=${Math.ceil(waitMs / 1000)}s`, ...list.map((n) => `namespace/${n}`)], {
      allowFail: true,
      timeoutMs: waitMs + 10_000,
    }).catch(() => undefined);
  }
}

/** Removes a tracked host path now. */
export function removePath(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// Diagnostics

/** Everything that explains a failure in `namespace`: pods, events, every container's logs. */
export async function diagnostics(namespace: string): Promise<string> {
  const out: string[] = [`===== diagnostics of namespace ${namespace}`];
  const section = async (title: string, args: string[]) => {
    const r = await kubectl(args, { allowFail: true, timeoutMs: 20_000 }).catch((e: Error) => ({ stdout: '', stderr: e.message }));
    out.push(`----- ${title}`, (r.stdout + r.stderr).trimEnd());
  };
  await section('pods', ['get', 'pods', '-n', namespace, '-o', 'wide']);
  await section('events', ['get', 'events', '-n', namespace, '--sort-by=.lastTimestamp']);
  const pods = await getJson(['pods', '-n', namespace], { allowFail: true, timeoutMs: 20_000 }).catch(() => ({ items: [] }));
  for (const pod of pods.items ?? []) {
    const name = pod.metadata.name;
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    out.push(
      `----- pod ${name} status: ${JSON.stringify(statuses.map((s: Json) => ({ name: s.name, state: s.state, lastState: s.lastState, restartCount: s.restartCount })))}`,
    );
    for (const s of statuses) {
      await section(`logs ${name} -c ${s.name}`, ['logs', '-n', namespace, name, '-c', s.name, '--tail=60']);
      if (s.restartCount > 0)
        await section(`logs ${name} -c ${s.name} --previous`, ['logs', '-n', namespace, name, '-c', s.name, '--previous', '--tail=60']);
    }
  }
  return out.join('\n');
}

/**
 * A jest test body that, when it fails, prints the diagnostics of the namespaces returned
 * by `namespaces()` (read when it fails, so namespaces created in beforeAll count) before
 * rethrowing.
 */
export function withDiagnostics(namespaces: () => readonly string[], body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (e) {
      for (const ns of namespaces().filter(Boolean)) {
        process.stderr.write(`${await diagnostics(ns).catch((d: Error) => `diagnostics of ${ns} failed: ${d.message}`)}\n`);
      }
      throw e;
    }
  };
}

// ---------------------------------------------------------------------------------------
// Port-forward, HTTP, watches, logs

export interface PortForward {
  readonly port: number;
  close(): void;
}

/** `kubectl port-forward --address 127.0.0.1 <target> :<remotePort>`; resolves once it listens. */
export function portForward(namespace: string, target: string, remotePort: number, timeoutMs = 30_000): Promise<PortForward> {
  return new Promise((resolve, reject) => {
    const child = trackChild(
      spawn(KUBECTL, ['port-forward', '--address', '127.0.0.1', '-n', namespace, target, `:${remotePort}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`port-forward to ${namespace}/${target} did not start within ${timeoutMs / 1000} s: ${output}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), close: () => child.kill('SIGTERM') });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward to ${namespace}/${target} exited ${code}: ${output}`));
    });
  });
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One GET to 127.0.0.1:port, bounded. */
export function httpGet(port: number, path: string, timeoutMs = 10_000): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}

/**
 * GET through a fresh port-forward to the pod, retried until it answers (a port-forward
 * can refuse the first connection while the container starts listening).
 */
export async function getThroughPortForward(
  namespace: string,
  target: string,
  remotePort: number,
  path: string,
  timeoutMs = 30_000,
): Promise<HttpResponse> {
  const pf = await portForward(namespace, target, remotePort);
  try {
    return await waitFor(`GET ${path} through a port-forward to ${namespace}/${target}`, () => httpGet(pf.port, path), {
      timeoutMs,
      intervalMs: 500,
    });
  } finally {
    pf.close();
  }
}

export interface WatchEvent {
  readonly type: string;
  readonly object: Json;
  /** When the suite received it (ms since the epoch). */
  readonly at: number;
}

export interface PodWatch {
  readonly events: WatchEvent[];
  /** Resolves once a DELETED event arrived, or after `timeoutMs` (rejects). */
  deleted(timeoutMs: number): Promise<WatchEvent>;
  stop(): void;
}

/** Watches one pod through the API (`?watch=1`, one JSON event a line). */
export function watchPod(namespace: string, name: string): Promise<PodWatch> {
  const path = `/api/v1/namespaces/${namespace}/pods?watch=1&fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
  const child = trackChild(spawn(KUBECTL, ['get', '--raw', path], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const events: WatchEvent[] = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      const e = JSON.parse(line);
      events.push({ type: e.type, object: e.object, at: Date.now() });
      waiters.splice(0).forEach((w) => w());
    }
  });
  const watch: PodWatch = {
    events,
    stop: () => child.kill('SIGTERM'),
    deleted: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find((e) => e.type === 'DELETED');
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`pod ${namespace}/${name} was not deleted within ${timeoutMs / 1000} s`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(500)]);
      }
    },
  };
  // The watch answers with the current state (ADDED) first: wait for it, bounded.
  return waitFor(`the watch of pod ${namespace}/${name} to start`, async () => events.length > 0, {
    timeoutMs: 15_000,
    intervalMs: 100,
  }).then(() => watch);
}

export interface LogFollow {
  /** Everything received so far. */
  text(): string;
  /** Resolves when the stream ended (the container stopped), or after `timeoutMs`. */
  ended(timeoutMs: number): Promise<string>;
}

/** `kubectl logs -f`: collects a container's output until it stops. */
export function followLogs(namespace: string, pod: string, container: string): LogFollow {
  const child = trackChild(spawn(KUBECTL, ['logs', '-f', '-n', namespace, pod, '-c', container], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let text = '';
  let done = false;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exited = new Promise<void>((r) => child.on('exit', () => ((done = true), r())));
  return {
    text: () => text,
    ended: async (timeoutMs) => {
      if (!done) {
        await Promise.race([exited, sleep(timeoutMs)]);
        if (!done) child.kill('SIGTERM');
      }
      return text;
    },
  };
}

/** The status of a named container (regular or init) in a pod object. */
export function containerStatus(pod: Json, name: string): Json {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s: Json) => s.name === name);
}
