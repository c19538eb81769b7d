import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withContainerLog } from '../../lib/core/hook-log';
import { sh, printLines, ShellScript } from '../../lib/core/shell';
import { WriteFileHook } from '../../lib/blocks/write-file-hook';
import { HOSTILE_STRINGS } from '../support/hostile';
import { SHELLS, tempDir } from '../support/run';

// The wrapped hooks write to /proc/1/fd/1 and /2: each run gets a PID namespace of its own,
// whose PID 1 is a launcher shell with files as stdout and stderr (the container's log; a
// container runtime gives pipes, and a socket, as node's stdio, cannot be opened through
// /proc), and the hook runs as its child, in the background so that dash does not redirect
// PID 1's own streams for it. Never run outside one: PID 1 would be the test machine's init.
const PID_NAMESPACE = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;
const withPidNamespace = PID_NAMESPACE ? describe : describe.skip;

const LAUNCHER = 'cd "$1" && shift && exec >>log.out 2>>log.err && { "$@" >hook.out 2>hook.err & wait "$!"; echo "$?" >status; }';

interface HookRun {
  /** What PID 1 (the container's log) got. */
  readonly logOut: string;
  readonly logErr: string;
  /** What the hook's own streams got (the kubelet's, which it discards). */
  readonly hookOut: string;
  readonly hookErr: string;
  readonly status: number;
  readonly dir: string;
}

/** Runs `script` under `shell` as a child of PID 1; `asUser` runs it as another user than PID 1. */
function runHook(script: ShellScript, shell: string, asUser?: number): HookRun {
  const dir = tempDir('hook-log-');
  const user = asUser === undefined ? [] : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups'];
  if (asUser !== undefined) spawnSync('chmod', ['777', dir]);
  spawnSync(
    'unshare',
    ['--pid', '--fork', '--mount-proc', 'sh', '-c', LAUNCHER, 'launcher', dir, ...user, ...shell.split(' '), '-c', script.render()],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 },
  );
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    logOut: read('log.out'),
    logErr: read('log.err'),
    hookOut: read('hook.out'),
    hookErr: read('hook.err'),
    status: Number(read('status')),
    dir,
  };
}

const lines = (text: string) => text.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');

withPidNamespace.each(SHELLS)('withContainerLog under %s', (shell) => {
  test('each line of stdout and stderr reaches PID 1 prefixed, byte for byte, then exit status 0', () => {
    const script = new ShellScript().add(printLines(HOSTILE_STRINGS), sh`printf '%s\\n' ${HOSTILE_STRINGS} >&2`, sh`printf 'no newline'`);
    const run = runHook(withContainerLog('post-start-page', script), shell);
    expect(run.status).toBe(0);
    expect(lines(run.logOut)).toEqual([
      '[post-start-page] running',
      ...HOSTILE_STRINGS.flatMap((s) => s.split('\n')).map((s) => `[post-start-page] ${s}`),
      '[post-start-page] no newline',
      '[post-start-page] exit status 0',
    ]);
    expect(lines(run.logErr)).toEqual(HOSTILE_STRINGS.flatMap((s) => s.split('\n')).map((s) => `[post-start-page] ${s}`));
    expect([run.hookOut, run.hookErr]).toEqual(['', '']);
  });

  test('a failing step: its message and the exit status on stderr, the status kept, the steps after it not run (set -e)', () => {
    const script = new ShellScript().add(sh`echo before`, sh`mkdir /proc/cannot-create`, sh`echo after`);
    const run = runHook(withContainerLog('pre-stop-flag', script), shell);
    expect(run.status).toBe(1);
    expect(lines(run.logOut)).toEqual(['[pre-stop-flag] running', '[pre-stop-flag] before']);
    const err = lines(run.logErr);
    expect(err[0]).toMatch(/^\[pre-stop-flag\] .*cannot-create/);
    expect(err[err.length - 1]).toBe('[pre-stop-flag] exit status 1');
    expect([run.hookOut, run.hookErr]).toEqual(['', '']);
  });

  test('an explicit exit status passes through; a hostile hook name is one quoted word', () => {
    const name = "x'; touch PWNED; echo '$(id)";
    const run = runHook(withContainerLog(name, new ShellScript().add(sh`exit 42`)), shell);
    expect(run.status).toBe(42);
    expect(lines(run.logErr)).toEqual([`[${name}] exit status 42`]);
    expect(() => readFileSync(join(run.dir, 'PWNED'))).toThrow();
  });

  test('a hook that may not open PID 1 streams (another user, no CAP_SYS_PTRACE) prints on its own, with the same lines and status', () => {
    const script = new ShellScript().add(sh`echo out`, sh`echo err >&2`, sh`exit 3`);
    const run = runHook(withContainerLog('drain-delay', script), shell, 65534);
    expect(run.status).toBe(3);
    expect([run.logOut, run.logErr]).toEqual(['', '']);
    expect(lines(run.hookOut)).toEqual(['[drain-delay] running', '[drain-delay] out']);
    expect(lines(run.hookErr)).toEqual(['[drain-delay] err', '[drain-delay] exit status 3']);
  });

  test('WriteFileHook: the file is written as before, and the hook says so in the log', () => {
    const dir = tempDir('hook-log-file-');
    const hook = new WriteFileHook({ path: `${dir}/page.html`, content: HOSTILE_STRINGS as string[] });
    const run = runHook(hook.script, shell);
    expect(run.status).toBe(0);
    expect(readFileSync(join(dir, 'page.html'), 'utf8')).toBe(HOSTILE_STRINGS.map((s) => `${s}\n`).join(''));
    expect(lines(run.logOut)).toEqual(['[write-file] running', '[write-file] exit status 0']);
  });
});

test("the wrapper runs under the script's own shell", () => {
  expect(withContainerLog('x', new ShellScript({ shell: '/bin/bash' })).shell).toBe('/bin/bash');
});
