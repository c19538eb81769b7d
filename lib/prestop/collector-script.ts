import { Duration } from 'cdk8s';
import { sh, ShellScript } from '../core/shell';
import { COLLECTOR_FIELD_CODE, FLAG_FILE_EXTENSION, FLAG_FILE_FORMAT } from './flag-file';

/** How long after `cleanupTimeout` a cleanup that ignores SIGTERM is sent SIGKILL. */
export const CLEANUP_KILL_AFTER_SECONDS = 5;

/** The subdirectories the collector moves flag files through, inside the flag-file directory. */
export const COLLECTOR_DIRS = {
  /** Claimed, cleanup not yet succeeded; resumed after a collector restart. */
  processing: 'processing',
  /** Cleanup succeeded. */
  processed: 'processed',
  /** Not a flag file, or cleanup failed `maxAttempts` times. */
  failed: 'failed',
} as const;

/** Options of {@link FlagFileDirectory.collectorScript}; errors name them as props of that name. */
export interface CollectorScriptOptions {
  /**
   * The cleanup, in exec form (no shell unless you name one): run once per flag file with
   * the header fields in `STOPPED_AT`, `POD_NAME`, `POD_NAMESPACE`, `POD_UID`, `NODE_NAME`,
   * `CONTAINER_NAME`, plus `FLAG_FILE` (its path, in `processing/`) and `CLEANUP_ATTEMPT`
   * (1, 2, ...). Exit 0 for success. It must be idempotent (see the README).
   */
  readonly cleanupCommand: readonly string[];
  /**
   * How long the loop sleeps between passes over the directory. Whole seconds.
   * @default Duration.seconds(5)
   */
  readonly pollInterval?: Duration;
  /**
   * How many times the cleanup runs for one file before the file goes to `failed/`.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * How long one cleanup run may take before it gets SIGTERM (and SIGKILL
   * `CLEANUP_KILL_AFTER_SECONDS` (5 s) later); that counts as a failed attempt. Whole seconds.
   * @default Duration.seconds(60)
   */
  readonly cleanupTimeout?: Duration;
}

/** What {@link FlagFileDirectory.collectorScript} builds. */
export interface CollectorScript {
  /** The loop, run as the collector container's command; frozen, shared by every call with the same options. */
  readonly script: ShellScript;
  /** The pause between passes, in seconds. */
  readonly pollSeconds: number;
  /** The cleanup's time limit, in seconds. */
  readonly cleanupTimeoutSeconds: number;
  /** The attempts per file. */
  readonly maxAttempts: number;
}

/** The collector loop; built once per distinct input (see FlagFileDirectory.collectorScript). */
export function buildCollectorScript(
  mountPath: string,
  cleanup: readonly string[],
  pollSeconds: number,
  maxAttempts: number,
  cleanupTimeoutSeconds: number,
): CollectorScript {
  const { processing, processed, failed } = COLLECTOR_DIRS;
  const { resetFields, headerCases, checks, cleanupEnv } = COLLECTOR_FIELD_CODE;

  const script = new ShellScript().add(sh`LC_ALL=C
export LC_ALL
dir=${mountPath}
poll_seconds=${pollSeconds}
max_attempts=${maxAttempts}
cleanup_timeout=${cleanupTimeoutSeconds}
log() { printf 'prestop-audit-collector: %s\\n' "$*"; }

# Reads a flag file's header into f_* variables, as data. Fails unless the file starts with
# the format line and every field is present once, with a valid value.
parse() {
  ${resetFields}
  {
    IFS= read -r line || return 1
    [ "$line" = ${`format=${FLAG_FILE_FORMAT}`} ] || return 1
    while IFS= read -r line && [ -n "$line" ]; do
      case $line in
${headerCases}
      *) return 1 ;;
      esac
    done
  } < "$1"
${checks}
}

# Moves a claimed file ($1) to $2 (processed or failed); drop_marks removes its attempt marks.
finish() {
  mv -f "$1" "$dir/$2/"
  log "$2: \${1##*/}: $3"
}

# Removes the attempt marks of files that have left processing/ (one rm for all of them).
drop_marks() {
  set --
  for mark in "$dir/"${processing}/*.attempt.*; do
    if [ -e "$mark" ] && [ ! -e "\${mark%.attempt.*}" ]; then set -- "$@" "$mark"; fi
  done
  if [ "$#" -gt 0 ]; then rm -f "$@"; fi
}

# Runs the cleanup for a claimed file ($1), at most max_attempts times in all. Attempt n
# is marked by the empty file $1.attempt.n, made before the run so a cleanup that kills
# the collector is not retried forever.
process() {
  if ! parse "$1"; then
    finish "$1" ${failed} ${`not a flag file of format ${FLAG_FILE_FORMAT}`}
    return 0
  fi
  attempt=1
  while [ -e "$1.attempt.$attempt" ]; do attempt=$((attempt + 1)); done
  if [ "$attempt" -gt "$max_attempts" ]; then
    finish "$1" ${failed} "gave up after $max_attempts attempts"
    return 0
  fi
  : > "$1.attempt.$attempt"
  status=0
  ${cleanupEnv} FLAG_FILE="$1" CLEANUP_ATTEMPT="$attempt" \\
    timeout -k ${CLEANUP_KILL_AFTER_SECONDS} "$cleanup_timeout" ${cleanup} </dev/null 9>&- || status=$?
  if [ "$status" -eq 0 ]; then
    finish "$1" ${processed} "cleanup succeeded on attempt $attempt"
  elif [ "$attempt" -ge "$max_attempts" ]; then
    finish "$1" ${failed} "cleanup failed with status $status on attempt $attempt of $max_attempts"
  else
    log "retry: \${1##*/}: cleanup failed with status $status on attempt $attempt of $max_attempts"
  fi
}

for tool in flock timeout; do
  command -v "$tool" >/dev/null || { log "the image has no $tool (busybox and util-linux/coreutils have it)"; exit 1; }
done
mkdir -p "$dir/"${processing} "$dir/"${processed} "$dir/"${failed}
# One collector per directory: the kernel drops the lock when the holder dies.
exec 9> "$dir/.collector.lock"
if ! flock -n 9; then
  log 'another collector holds the lock; waiting'
  flock 9
fi
drop_marks
stopping=0
sleeper=
# Stop after the current step: end a pause at once, never interrupt a cleanup.
trap 'stopping=1; [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || :' TERM INT
passes=0
log "watching $dir every \${poll_seconds}s"
while :; do
  # Claim every complete flag file with one rename each (one mv for all of them); a
  # file being written still has its hidden temporary name.
  set --
  for f in "$dir"/*${FLAG_FILE_EXTENSION}; do
    if [ -f "$f" ] && [ ! -L "$f" ]; then set -- "$@" "$f"; fi
  done
  if [ "$#" -gt 0 ]; then mv -f "$@" "$dir/"${processing}/ || log 'could not claim every file'; fi
  for f in "$dir/"${processing}/*${FLAG_FILE_EXTENSION}; do
    [ "$stopping" = 0 ] || break
    if [ -f "$f" ] && [ ! -L "$f" ]; then process "$f"; fi
  done
  drop_marks
  passes=$((passes + 1))
  [ "$stopping" = 0 ] && [ "$passes" != "\${COLLECTOR_PASSES:-0}" ] || break
  sleep "$poll_seconds" 9>&- &
  sleeper=$!
  # A TERM between starting the sleep and setting $sleeper found no sleeper to end: end it here.
  if [ "$stopping" = 0 ]; then wait "$sleeper" || :; else kill "$sleeper" 2>/dev/null || :; fi
  sleeper=
done
log stopping`);
  return { script, pollSeconds, cleanupTimeoutSeconds, maxAttempts };
}
