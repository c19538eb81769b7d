import { Duration } from 'cdk8s';
import { sh, ShellCode, ShellScript } from '../core/shell';
import { COLLECTOR_FIELD_CODE, FLAG_FILE_EXTENSION, FLAG_FILE_FORMAT, FLAG_HEADER_MAX_BYTES } from './flag-file';

/** How long after `cleanupTimeout` a cleanup that ignores SIGTERM is sent SIGKILL. */
export const CLEANUP_KILL_AFTER_SECONDS = 5;

/**
 * The layout of the node directory. Audited pods mount only `incoming/`; the collector
 * mounts the whole directory and keeps its state in the siblings of `incoming/`, out of the
 * pods' reach, on the same filesystem (so a claim is one atomic rename).
 */
export const COLLECTOR_DIRS = {
  /** Where the preStop hooks write; the only part of the directory audited pods mount. */
  incoming: 'incoming',
  /** Claimed, cleanup not yet succeeded; resumed after a collector restart. */
  processing: 'processing',
  /** Cleanup succeeded. */
  processed: 'processed',
  /** Not a flag file, or cleanup failed `maxAttempts` times. */
  failed: 'failed',
  /** Attempt marks: `attempts/<n>/<flag file name>`, so a mark's name is the flag file's own. */
  attempts: 'attempts',
} as const;

/** How many claimed files one `mv` takes at most: no command line grows with the backlog. */
export const CLAIM_BATCH = 64;

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
  const { incoming, processing, processed, failed, attempts } = COLLECTOR_DIRS;
  const { resetFields, headerCases, checks, cleanupEnv } = COLLECTOR_FIELD_CODE;

  const script = new ShellScript().add(
    sh`# Every step below handles its own failure: one bad file fails that file, never the loop.
set +e
LC_ALL=C
export LC_ALL
dir=${mountPath}
incoming=$dir/${incoming}
state_dirs=${`${processing} ${processed} ${failed} ${attempts}`}
poll_seconds=${pollSeconds}
max_attempts=${maxAttempts}
cleanup_timeout=${cleanupTimeoutSeconds}
header_max=${FLAG_HEADER_MAX_BYTES}
nl='
'
log() { printf 'prestop-audit-collector: %s\\n' "$*"; }`,
    collectorParse(resetFields, headerCases, checks),
    COLLECTOR_STATE,
    sh`# Runs the cleanup for a claimed file ($1), at most max_attempts times in all. Attempt n is
# marked by the empty file attempts/n/<name>, made before anything else, so a file that kills
# the collector is not retried forever.
process() {
  name=\${1##*/}
  attempt=1
  while [ -e "$dir/"${attempts}"/$attempt/$name" ]; do attempt=$((attempt + 1)); done
  if [ "$attempt" -gt "$max_attempts" ]; then
    finish "$1" ${failed} "gave up after $max_attempts attempts"
    return
  fi
  [ -d "$dir/"${attempts}"/$attempt" ] || mkdir -p "$dir/"${attempts}"/$attempt"
  if ! printf '' > "$dir/"${attempts}"/$attempt/$name"; then
    log "skipped: $name: could not mark attempt $attempt"
    return
  fi
  if ! parse "$1"; then
    finish "$1" ${failed} "$reason"
    return
  fi
  status=0
  ${cleanupEnv} FLAG_FILE="$1" CLEANUP_ATTEMPT="$attempt" \\
    timeout -k ${CLEANUP_KILL_AFTER_SECONDS} "$cleanup_timeout" ${cleanup} </dev/null 9>&- || status=$?
  if [ "$status" -eq 0 ]; then
    finish "$1" ${processed} "cleanup succeeded on attempt $attempt"
  elif [ "$attempt" -ge "$max_attempts" ]; then
    finish "$1" ${failed} "cleanup failed with status $status on attempt $attempt of $max_attempts"
  else
    log "retry: $name: cleanup failed with status $status on attempt $attempt of $max_attempts"
  fi
}`,
    COLLECTOR_LOOP,
  );
  return { script, pollSeconds, cleanupTimeoutSeconds, maxAttempts };
}

// Reads a flag file's header ($1) into f_* variables, as data, from a copy of at most its
// first header_max bytes (one process, however large or endless the file). Fails (with
// $reason) unless the file starts with the format line and every field is present once,
// with a valid value, before an empty line.
function collectorParse(resetFields: ShellCode, headerCases: ShellCode, checks: ShellCode): ShellCode {
  return sh`parse() {
  ${resetFields}
  reason=${`not a flag file of format ${FLAG_FILE_FORMAT}`}
  head -c "$header_max" < "$1" > "$dir/.header" || return 1
  {
    IFS= read -r line && [ "$line" = ${`format=${FLAG_FILE_FORMAT}`} ] || return 1
    while :; do
      if ! IFS= read -r line; then
        reason="no header ending in an empty line within the first $header_max bytes"
        return 1
      fi
      case $line in
      '') break ;;
${headerCases}
      *) return 1 ;;
      esac
    done
  } < "$dir/.header"
${checks}
}`;
}

// The state directories, their repair, the lock, and the moves between them.
const COLLECTOR_STATE = sh`# Makes $1 a directory; whatever else holds its name is moved aside first (and logged).
ensure_dir() {
  [ -d "$1" ] && [ ! -L "$1" ] && return 0
  if [ -e "$1" ] || [ -L "$1" ]; then
    mv -f "$1" "$1.not-a-directory.$$.$passes" && log "moved \${1##*/} aside to \${1##*/}.not-a-directory.$$.$passes: not a directory"
  fi
  mkdir -p "$1"
}

# The state directories, and incoming/ writable (not listable) by the audited pods' users.
prepare() {
  for sub in $state_dirs; do ensure_dir "$dir/$sub"; done
  ensure_dir "$incoming" && chmod 1733 "$incoming"
}

# One collector per directory: the kernel drops the lock when the holder dies. A lock path
# that cannot be opened is moved aside.
lock() {
  if ! command exec 9>> "$dir/.collector.lock"; then
    mv -f "$dir/.collector.lock" "$dir/.collector.lock.broken.$$"
    command exec 9>> "$dir/.collector.lock" || return 1
  fi
  if ! flock -n 9; then
    log 'another collector holds the lock; waiting'
    flock 9
  fi
}

# Moves a claimed file ($1) to $2 (processed or failed); its marks go at the end of the pass.
finish() {
  if mv -f "$1" "$dir/$2/"; then
    log "$2: \${1##*/}: $3"
  else
    log "stuck: \${1##*/}: could not move it to $2/ ($3)"
  fi
}

# Claims every complete flag file, in renames of at most 64 files each; a file being
# written still has its hidden temporary name.
claim() {
  set --
  for f in "$incoming"/*${FLAG_FILE_EXTENSION}; do
    if [ -f "$f" ] && [ ! -L "$f" ]; then set -- "$@" "$f"; fi
    if [ "$#" -ge ${CLAIM_BATCH} ]; then mv -f "$@" "$dir/"${COLLECTOR_DIRS.processing}/ || log 'could not claim every file'; set --; fi
  done
  if [ "$#" -gt 0 ]; then mv -f "$@" "$dir/"${COLLECTOR_DIRS.processing}/ || log 'could not claim every file'; fi
}

# Removes the attempt marks of files that left processing/, in batches of 64.
drop_marks() {
  set --
  for mark in "$dir/"${COLLECTOR_DIRS.attempts}/*/*; do
    if [ -e "$mark" ] && [ ! -e "$dir/"${COLLECTOR_DIRS.processing}"/\${mark##*/}" ]; then set -- "$@" "$mark"; fi
    if [ "$#" -ge ${CLAIM_BATCH} ]; then rm -f "$@"; set --; fi
  done
  if [ "$#" -gt 0 ]; then rm -f "$@"; fi
}`;

const COLLECTOR_LOOP = sh`for tool in flock timeout head; do
  command -v "$tool" >/dev/null || { log "the image has no $tool (busybox and util-linux/coreutils have it)"; exit 1; }
done
passes=0
prepare
lock || { log "cannot open the lock file $dir/.collector.lock"; exit 1; }
drop_marks
stopping=0
sleeper=
# Stop after the current step: end a pause at once, never interrupt a cleanup.
trap 'stopping=1; [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || :' TERM INT
log "watching $incoming every \${poll_seconds}s"
while :; do
  prepare
  claim
  for f in "$dir/"${COLLECTOR_DIRS.processing}/*${FLAG_FILE_EXTENSION}; do
    [ "$stopping" = 0 ] || break
    if [ -f "$f" ] && [ ! -L "$f" ]; then
      process "$f"
    elif [ -e "$f" ] || [ -L "$f" ]; then
      finish "$f" ${COLLECTOR_DIRS.failed} 'not a regular file'
    fi
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
log stopping`;
