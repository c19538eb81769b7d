import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The POSIX shells scripts are run with: dash (`sh` on Debian), bash, and busybox when installed. */
export const SHELLS: string[] = ['sh', 'bash', ...(existsSync('/bin/busybox') ? ['busybox sh'] : [])];

/** A fresh temporary directory. */
export function tempDir(prefix = 'cdk8s-pod-lifecycle-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where and how to run one exec-form command. */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
}

/** The words that run an exec-form command (`[shell, '-c', script]`) with another shell. */
function argv(command: readonly string[], shell: string): string[] {
  const [, flag, ...rest] = command;
  return [...shell.split(' '), flag, ...rest];
}

/** The environment a command gets: PATH and what the test gives, nothing inherited. */
function environment(options: RunOptions): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env };
}

/**
 * Runs an exec-form command (`[shell, '-c', script]`) the way the kubelet would, but with
 * `shell` replaced by the given one (e.g. `bash`, `busybox sh`), in `cwd`, with `env`.
 */
export function runWithShell(command: readonly string[], shell: string, options: RunOptions = {}): RunResult {
  const [program, ...args] = argv(command, shell);
  const result = spawnSync(program, args, {
    cwd: options.cwd,
    env: environment(options),
    encoding: 'utf8',
    // bash reads ~/.bashrc when its stdin is a socket (as under jest workers): give it none.
    stdio: ['ignore', 'pipe', 'pipe'],
    // A bound against a hung script, generous: on a loaded 2-core machine a long collector pass takes 20 s.
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Like {@link runWithShell}, without blocking: other tests can run while the command waits. */
export function runWithShellAsync(command: readonly string[], shell: string, options: RunOptions = {}): Promise<RunResult> {
  const [program, ...args] = argv(command, shell);
  const child = spawn(program, args, { cwd: options.cwd, env: environment(options), stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** One command for {@link runAll}: what {@link runWithShell} takes. */
export interface Job extends RunOptions {
  readonly command: readonly string[];
  readonly shell: string;
}

// The test harness's own quoting (not the library's, which is under test): one single-quoted word.
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs groups of commands from one `sh` instead of one process of node each (starting a
 * process is most of what a hook's run costs): the groups one after another, the commands
 * of a group all at once. Each command runs exactly as {@link runWithShell} would run it
 * (its own process, shell, working directory and environment, no stdin). Returns each
 * one's result, by group; a command killed by a signal has status 128 + the signal number.
 */
function launch(groups: readonly (readonly Job[])[]): RunResult[][] {
  const out = tempDir('run-all-');
  const files = (n: number) => ({ stdout: join(out, `${n}.out`), stderr: join(out, `${n}.err`) });
  let n = 0;
  const lines = groups.flatMap((group) => {
    const first = n;
    n += group.length;
    const started = group.map((job, i) => {
      // A subshell per command: its directory, then exactly the environment runWithShell
      // gives (what the launcher exports, less the PWD and OLDPWD its cd set), then exec.
      const cd = job.cwd === undefined ? '' : `cd ${quote(job.cwd)} && `;
      const exports = Object.entries(environment(job)).map(([name, value]) => quote(`${name}=${value}`));
      const exec = argv(job.command, job.shell).map(quote).join(' ');
      const { stdout, stderr } = files(first + i);
      return `(${cd}unset PWD OLDPWD && export ${exports.join(' ')} && exec ${exec}) >${quote(stdout)} 2>${quote(stderr)} & p${i}=$!`;
    });
    return [...started, ...group.map((_, i) => `wait "$p${i}"; printf '%s\n' "$?"`)];
  });
  // A file, not `sh -c`: one argument holds at most 128 KiB, less than 100 hooks' scripts.
  const script = join(out, 'launcher.sh');
  writeFileSync(script, lines.join('\n'));
  const launcher = spawnSync('sh', [script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // A bound against a hung script, generous: on a loaded 2-core machine a long collector pass takes 20 s.
    timeout: 60_000,
  });
  if (launcher.status !== 0 || launcher.stderr !== '') {
    throw new Error(`the launcher failed (${launcher.error ?? launcher.status ?? launcher.signal}): ${launcher.stderr}`);
  }
  const statuses = launcher.stdout.split('\n');
  n = 0;
  return groups.map((group) =>
    group.map(() => {
      const { stdout, stderr } = files(n);
      return { status: Number(statuses[n++]), stdout: readFileSync(stdout, 'utf8'), stderr: readFileSync(stderr, 'utf8') };
    }),
  );
}

/**
 * Runs many commands from one `sh`, one after another, or all at once with `atOnce` (the
 * kubelet running hooks of many pods, say). Starting processes in parallel costs this
 * 2-core machine about twice the CPU time for little gain, so only tests about
 * simultaneity ask for it. Returns each command's result, in order.
 */
export function runAll(jobs: readonly Job[], { atOnce = false } = {}): RunResult[] {
  return atOnce ? launch([jobs])[0] : launch(jobs.map((job) => [job])).map(([result]) => result);
}

/**
 * Commands that tests register while they are defined, run by one launcher (see
 * {@link runAll}) when a test first asks for a result, one after another.
 */
export class Batch {
  private readonly groups: (() => Job[])[] = [];
  private results?: RunResult[][];

  /** Registers a command (built when the batch runs); returns a getter of its result. */
  public add(job: () => Job): () => RunResult {
    const results = this.addAtOnce(() => [job()]);
    return () => results()[0];
  }

  /** Registers commands that run all at once (built when the batch runs); returns a getter of their results. */
  public addAtOnce(jobs: () => Job[]): () => RunResult[] {
    if (this.results) throw new Error('Batch: register every command before a test reads a result');
    const i = this.groups.push(jobs) - 1;
    return () => {
      this.results ??= launch(this.groups.map((make) => make()));
      return this.results[i];
    };
  }
}
