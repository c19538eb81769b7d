import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
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

/**
 * Runs an exec-form command (`[shell, '-c', script]`) the way the kubelet would, but with
 * `shell` replaced by the given one (e.g. `bash`, `busybox sh`), in `cwd`, with `env`.
 */
export function runWithShell(
  command: readonly string[],
  shell: string,
  options: { cwd?: string; env?: Record<string, string> } = {},
): RunResult {
  const [, flag, ...rest] = command;
  const [program, ...programArgs] = shell.split(' ');
  const result = spawnSync(program, [...programArgs, flag, ...rest], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    encoding: 'utf8',
    // bash reads ~/.bashrc when its stdin is a socket (as under jest workers): give it none.
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
