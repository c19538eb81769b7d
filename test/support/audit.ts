import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { FlagFileDirectory, PreStopAuditCollector, PreStopAuditCollectorProps, PreStopAuditedPod, PreStopAuditedPodProps } from '../../lib';
import { Manifest, only, synthValid } from './manifests';
import { RunResult, runAll, runWithShell, runWithShellAsync, tempDir } from './run';

/** The downward API variables of a pod, as the kubelet would set them for the hook. */
export interface PodIdentity {
  readonly POD_NAME: string;
  readonly POD_NAMESPACE: string;
  readonly POD_UID: string;
  readonly NODE_NAME: string;
}

/** A pod identity with real-looking values; `n` makes name and UID unique. */
export function podIdentity(n: number, name = `pod-${String(n).padStart(3, '0')}`): PodIdentity {
  return {
    POD_NAME: name,
    POD_NAMESPACE: 'default',
    POD_UID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    NODE_NAME: 'node-1',
  };
}

/**
 * A fresh flag directory as the containers see it: `root` is the whole directory (the
 * collector's mount, `flagDirectory`), `dir` its `incoming/` (an audited pod's mount,
 * `hookDirectory`). The kubelet creates both before a container starts.
 */
export function auditDir(): { root: string; dir: string; flagDirectory: FlagFileDirectory; hookDirectory: FlagFileDirectory } {
  const root = join(tempDir(), 'audit');
  const dir = join(root, 'incoming');
  mkdirSync(dir, { recursive: true });
  return { root, dir, flagDirectory: new FlagFileDirectory({ mountPath: root }), hookDirectory: new FlagFileDirectory({ mountPath: dir }) };
}

/** The synthesized preStop exec command of an audited pod. */
export function preStopCommand(props: PreStopAuditedPodProps): string[] {
  const chart = Testing.chart();
  new PreStopAuditedPod(chart, 'audited', props);
  return only(synthValid(chart), 'Pod').spec.containers[0].lifecycle.preStop.exec.command;
}

/** The synthesized command of a collector's container. */
export function collectorCommand(props: PreStopAuditCollectorProps): string[] {
  const chart = Testing.chart();
  new PreStopAuditCollector(chart, 'collector', props);
  const daemonSet: Manifest = only(synthValid(chart), 'DaemonSet');
  return daemonSet.spec.template.spec.containers[0].command;
}

/**
 * Runs a preStop command once per pod, all at the same time, each as `<shell> -c <script>`
 * the way the kubelet does; returns each run's result, in the order of `pods`.
 */
export function runHooksAtOnce(command: readonly string[], pods: readonly PodIdentity[], shell = 'sh'): RunResult[] {
  return runAll(
    pods.map((pod) => ({ command, shell, env: { ...pod } })),
    { atOnce: true },
  );
}

/** Runs `passes` passes of the collector loop to completion. */
export function runCollector(command: readonly string[], shell: string, env: Record<string, string> = {}, passes = 1): RunResult {
  return runWithShell(command, shell, { env: { ...env, COLLECTOR_PASSES: String(passes) } });
}

/** Like {@link runCollector}, without blocking: other tests can run while the loop waits. */
export function runCollectorAsync(
  command: readonly string[],
  shell: string,
  env: Record<string, string> = {},
  passes = 1,
): Promise<RunResult> {
  return runWithShellAsync(command, shell, { env: { ...env, COLLECTOR_PASSES: String(passes) } });
}

// ASCII unit and record separators: no hostile string holds them.
const UNIT = '\x1f';
const RECORD = '\x1e';

/**
 * A cleanup command that appends one record per call to the file `record`: the attempt,
 * every field the collector passes, then its own arguments (`args`, passed literally).
 */
export function recordingCleanup(record: string, ...args: string[]): string[] {
  return [
    'sh',
    '-c',
    'printf "%s\\037" "$CLEANUP_ATTEMPT" "$STOPPED_AT" "$POD_NAME" "$POD_NAMESPACE" "$POD_UID" "$NODE_NAME" "$CONTAINER_NAME" "$FLAG_FILE" "$@" >> "$0"; printf "\\036" >> "$0"',
    record,
    ...args,
  ];
}

/** One call recorded by {@link recordingCleanup}. */
export interface CleanupCall {
  readonly attempt: string;
  readonly stoppedAt: string;
  readonly pod: string;
  readonly namespace: string;
  readonly uid: string;
  readonly node: string;
  readonly container: string;
  readonly flagFile: string;
  readonly args: string[];
}

/** The calls {@link recordingCleanup} recorded, in order. */
export function recordedCalls(record: string): CleanupCall[] {
  if (!existsSync(record)) return [];
  return readFileSync(record, 'utf8')
    .split(RECORD)
    .filter((line) => line !== '')
    .map((line) => {
      const [attempt, stoppedAt, pod, namespace, uid, node, container, flagFile, ...args] = line.split(UNIT).slice(0, -1);
      return { attempt, stoppedAt, pod, namespace, uid, node, container, flagFile, args };
    });
}

/** The entries of a directory, sorted; [] if it does not exist. */
export function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** A process started in the background, in its own process group. */
export interface Background {
  readonly child: ChildProcess;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal) when it exits. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

/** Starts an exec-form command (`[shell, '-c', script]`) with `shell` in the background. */
export function startInBackground(command: readonly string[], shell: string, env: Record<string, string> = {}): Background {
  const [, flag, ...rest] = command;
  const [program, ...programArgs] = shell.split(' ');
  const child = spawn(program, [...programArgs, flag, ...rest], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  // 'exit' can come before the last output is read from the pipes; 'close' waits for every
  // process holding them, which a killed collector's cleanup may be. So: the exit, then the
  // end of both pipes or half a second, whichever is first.
  const ended = (stream: NodeJS.ReadableStream | null) => new Promise<void>((resolve) => (stream ? stream.on('end', resolve) : resolve()));
  const pipesEnded = Promise.all([ended(child.stdout), ended(child.stderr)]);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.on('exit', (code, signal) => {
      void Promise.race([pipesEnded, new Promise((r) => setTimeout(r, 500))]).then(() => resolve(code ?? signal));
    }),
  );
  return { child, output: () => output, exited };
}

/** Kills a background process's whole process group. */
export function killGroup(background: Background, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (background.child.pid !== undefined) process.kill(-background.child.pid, signal);
}

/** Kills whatever a background process left running in its process group, if anything. */
export function killLeftovers(background: Background): void {
  try {
    killGroup(background);
  } catch {
    // ESRCH: nothing left
  }
}

/** Waits until `condition` holds, checking every 10 ms; fails after `limitMs`. */
export async function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
