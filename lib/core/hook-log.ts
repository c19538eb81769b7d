import { sh, ShellCode, ShellScript } from './shell';

// The kubelet keeps no output of an exec hook (1.36 records only "PostStartHook failed" in
// an event), so the library's own hooks write theirs into the container's log themselves:
// the streams of the container's PID 1, which the runtime already sends to `kubectl logs`.

/**
 * The streams the hook's lines go to, when the hook may open them: `/proc/1/fd/1` and
 * `/proc/1/fd/2` are the container's main process's stdout and stderr. Opening them needs
 * the kernel's ptrace read access to PID 1: the same user as PID 1 (and PID 1 not made
 * undumpable by a change of user), or CAP_SYS_PTRACE, and PID 1's streams must be pipes or
 * files (as container runtimes give; a socket cannot be opened through /proc). Where that fails (a pod with
 * `shareProcessNamespace`, whose PID 1 is the pause process; a root hook in a container
 * whose PID 1 dropped to another user, with capabilities dropped), the lines stay on the
 * hook's own streams, which the kubelet discards on success.
 */
export const CONTAINER_LOG_STREAMS = { stdout: '/proc/1/fd/1', stderr: '/proc/1/fd/2' } as const;

/**
 * Wraps `script` so that what it prints reaches the container's log (`kubectl logs`, or
 * `kubectl logs --previous` once the container restarted): a `[<name>] running` line, each
 * line of its stdout on PID 1's stdout and each line of its stderr on PID 1's stderr, every
 * line prefixed with `[<name>] `, then `[<name>] exit status <n>` (on stderr when not 0).
 * The wrapper exits with the script's status, so the kubelet sees a failure as before.
 *
 * The script runs unchanged in a subshell (its `set -eu` included). It must not leave a
 * process running in the background that holds its output open: the hook would wait for
 * it. The hooks of this library start none.
 *
 * @param name the hook's name in the log lines (a constant of the library: `post-start-page`)
 * @param script the hook's script; the result runs under the same shell
 */
export function withContainerLog(name: string, script: ShellScript): ShellScript {
  return new ShellScript({ shell: script.shell }).add(
    sh`hook_log_name=${name}`,
    // fds 5 and 6: PID 1's streams if this hook may open them, else the hook's own. The
    // probe runs in a subshell: a failed redirection of `exec` ends the shell running it.
    sh`exec 5>&1 6>&2
if (exec >>${CONTAINER_LOG_STREAMS.stdout} 2>>${CONTAINER_LOG_STREAMS.stderr}) 2>/dev/null; then
  exec 5>>${CONTAINER_LOG_STREAMS.stdout} 6>>${CONTAINER_LOG_STREAMS.stderr}
fi
hook_log_lines() {
  while IFS= read -r hook_log_line || [ -n "$hook_log_line" ]; do
    printf '[%s] %s\\n' "$hook_log_name" "$hook_log_line"
  done
}
printf '[%s] running\\n' "$hook_log_name" >&5`,
    // The script's stdout goes through fd 4 to one prefixing loop, its stderr to another,
    // and its exit status through fd 3 to the command substitution (a pipeline's status is
    // its last command's, and POSIX sh has no pipefail).
    // Without -e here: the script's failure must reach the status line, not end the
    // wrapper; the script's own `set -eu` still holds inside its subshell.
    sh`set +e
hook_log_status=$(
  { { { (
${ShellCode.trusted(script.render())}) 3>&- 4>&- 5>&- 6>&-
printf '%s' "$?" >&3
} 2>&1 1>&4 | hook_log_lines >&6; } 4>&1 | hook_log_lines >&5; } 3>&1
)
if [ "$hook_log_status" = 0 ]; then
  printf '[%s] exit status 0\\n' "$hook_log_name" >&5
else
  printf '[%s] exit status %s\\n' "$hook_log_name" "$hook_log_status" >&6
fi
exit "$hook_log_status"`,
  );
}
