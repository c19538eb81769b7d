import { readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_CLONE_LAYOUT } from '../../lib';
import { runWithShell, tempDir } from './run';

// alpine/git has busybox, not GNU coreutils: under `busybox sh`, its applets come first.
const BUSYBOX_TOOLS = ['cat', 'chmod', 'find', 'ln', 'mktemp', 'mv', 'readlink', 'rm', 'sleep', 'timeout'];
let busyboxBin: string | undefined;

/** The PATH a git script gets under `shell`: busybox's applets first under `busybox sh`. */
export function pathFor(shell: string): string {
  if (!shell.startsWith('busybox')) return process.env.PATH ?? '/usr/bin:/bin';
  if (!busyboxBin) {
    busyboxBin = tempDir('busybox-bin-');
    for (const tool of BUSYBOX_TOOLS) symlinkSync('/bin/busybox', join(busyboxBin, tool));
  }
  return `${busyboxBin}:${process.env.PATH}`;
}

/** Runs a git script in `dir` (the volume) as the container would, with `shell`. */
export function runGitScript(command: readonly string[], dir: string, shell = 'sh', env: Record<string, string> = {}) {
  return runWithShell(command, shell, { cwd: dir, env: { HOME: tempDir('home-'), PATH: pathFor(shell), ...env } });
}

/** The snapshot directory the `site` link points into, and the served file. */
export function served(dir: string, file = 'index.html') {
  const target = readlinkSync(join(dir, GIT_CLONE_LAYOUT.linkName));
  const snapshot = target.split('/')[0];
  return { target, snapshot, content: readFileSync(join(dir, GIT_CLONE_LAYOUT.linkName, file), 'utf8') };
}

/** The snapshot directories in `dir`. */
export function snapshotsOf(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith(GIT_CLONE_LAYOUT.snapshotPrefix));
}
