import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { sharedFrozen } from './shared-scripts';
import { atomicWriteInto, printLines, sh, ShellCode, ShellScript } from './shell';
import { checkAbsolutePath, checkDnsLabel, checkIntegerRange, checkText, checkWholeSeconds, PropContext } from './validation';

/** The first line of every flag file: `format=<this>`. A collector accepts only this version. */
export const FLAG_FILE_FORMAT = 'cdk8s-pod-lifecycle/prestop-flag/v1';

/** The ending of a flag file's name; the collector takes only non-hidden files with it. */
export const FLAG_FILE_EXTENSION = '.txt';

// `case` patterns for values a field must not have: empty, or characters outside its set
// (a name also may not start with '.' or '-', so it is never a hidden file or an option).
const INVALID_TIMESTAMP = "''|*[!0-9TZ:-]*";
const INVALID_NAME = "''|[!a-z0-9]*|*[!a-z0-9.-]*";

/** One `key=value` header field of a flag file. */
export interface FlagField {
  /** The key in the file. */
  readonly key: string;
  /**
   * The environment variable the cleanup command receives the value in; for fields taken
   * from the downward API, also the variable the preStop hook reads it from.
   */
  readonly env: string;
  /**
   * The downward API field the hook reads.
   * @default - none: the hook writes the field itself
   */
  readonly fieldRef?: kplus.EnvFieldPaths;
  /** A `case` pattern matching every value the field must not have; both scripts check it. */
  readonly invalid: string;
}

/**
 * The header fields of a flag file, in file order, after the `format=` line. Every value is
 * non-empty; `stopped_at` is a UTC timestamp (`2019-03-12T09:15:35Z`), the others are
 * Kubernetes names: lowercase letters, digits, `.` and `-`, starting with a letter or digit.
 */
export const FLAG_FIELDS: readonly FlagField[] = [
  { key: 'stopped_at', env: 'STOPPED_AT', invalid: INVALID_TIMESTAMP },
  { key: 'pod', env: 'POD_NAME', fieldRef: kplus.EnvFieldPaths.POD_NAME, invalid: INVALID_NAME },
  { key: 'namespace', env: 'POD_NAMESPACE', fieldRef: kplus.EnvFieldPaths.POD_NAMESPACE, invalid: INVALID_NAME },
  { key: 'uid', env: 'POD_UID', fieldRef: kplus.EnvFieldPaths.POD_UID, invalid: INVALID_NAME },
  { key: 'node', env: 'NODE_NAME', fieldRef: kplus.EnvFieldPaths.NODE_NAME, invalid: INVALID_NAME },
  { key: 'container', env: 'CONTAINER_NAME', invalid: INVALID_NAME },
];

/** How long after `cleanupTimeout` a cleanup that ignores SIGTERM is sent SIGKILL. */
export const CLEANUP_KILL_AFTER_SECONDS = 5;

/** The subdirectories the collector moves flag files through, inside the audit directory. */
export const COLLECTOR_DIRS = {
  /** Claimed, cleanup not yet succeeded; resumed after a collector restart. */
  processing: 'processing',
  /** Cleanup succeeded. */
  processed: 'processed',
  /** Not a flag file, or cleanup failed `maxAttempts` times. */
  failed: 'failed',
} as const;

/** Properties of an {@link AuditLog}. */
export interface AuditLogProps {
  /**
   * The directory on each node the flag files are written to (a `hostPath` volume of type
   * `DirectoryOrCreate`: created root-owned, mode 0755, if missing).
   * @default '/tmp/ListOfDeletedPods'
   */
  readonly hostPath?: string;
  /**
   * Where the directory is mounted in the audited container and in the collector.
   * @default '/preStopScriptOutput'
   */
  readonly mountPath?: string;
  /**
   * The name of the volume in the pods.
   * @default 'list-of-deleted-pods'
   */
  readonly volumeName?: string;
}

/** Options of {@link AuditLog.preStopHook}; errors name them as props of that name. */
export interface PreStopFlagHookOptions {
  /** The container the hook runs in, recorded as `container=`. */
  readonly containerName: string;
  /**
   * How long the hook sleeps before it writes the flag file: a graceful-shutdown delay
   * (for example to let Service endpoints drain). Whole seconds.
   * @default Duration.seconds(0)
   */
  readonly preStopDelay?: Duration;
  /**
   * Lines written after the header and the seed's two lines. Written literally; the
   * collector never parses them, so they cannot pose as header fields.
   * @default - none
   */
  readonly flagLines?: readonly string[];
  /**
   * The shell that runs the hook; it must exist in the image, with `date`, `mkdir`, `mv`
   * (and `sleep` for a delay).
   * @default '/bin/sh'
   */
  readonly shell?: string;
}

/** What {@link AuditLog.preStopHook} builds: put its parts into the container's props. */
export interface PreStopFlagHook {
  /** The script the hook runs; frozen, shared by every call with the same options. */
  readonly script: ShellScript;
  /** For `lifecycle.preStop`. */
  readonly handler: kplus.Handler;
  /** The downward API variables the script reads, for the container's `envVariables`. */
  readonly envVariables: { readonly [name: string]: kplus.EnvValue };
  /** The delay before the write, in seconds. */
  readonly delaySeconds: number;
}

/** Options of {@link AuditLog.collectorScript}; errors name them as props of that name. */
export interface AuditCollectorScriptOptions {
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
   * {@link CLEANUP_KILL_AFTER_SECONDS} later); that counts as a failed attempt. Whole seconds.
   * @default Duration.seconds(60)
   */
  readonly cleanupTimeout?: Duration;
}

/** What {@link AuditLog.collectorScript} builds. */
export interface AuditCollectorScript {
  /** The loop, run as the collector container's command; frozen, shared by every call with the same options. */
  readonly script: ShellScript;
  /** The pause between passes, in seconds. */
  readonly pollSeconds: number;
  /** The cleanup's time limit, in seconds. */
  readonly cleanupTimeoutSeconds: number;
  /** The attempts per file. */
  readonly maxAttempts: number;
}

/**
 * A node directory of preStop flag files, and the one definition of the flag-file format:
 * the audited pods write with {@link AuditLog.preStopHook}, the collector reads with
 * {@link AuditLog.collectorScript}. Give both the same `AuditLog` and they agree on the
 * host path, the mount path, the file names and the line format.
 *
 * A flag file is `<pod>.<uid>.<yyyymmddThhmmssZ>.<pid>.txt` (`unknown` for a missing pod
 * name or UID), written atomically (a hidden temporary name, then a rename). Its content:
 *
 * ```
 * format=cdk8s-pod-lifecycle/prestop-flag/v1
 * stopped_at=2019-03-12T09:15:35Z
 * pod=pod-httpd
 * namespace=default
 * uid=5f0c...
 * node=minikube
 * container=cntr-httpd
 *
 * the date is Tue Mar 12 09:15:35 UTC 2019
 * the pod pod-httpd has been terminated
 * <flagLines, if any>
 * ```
 *
 * The header ends at the first empty line; only the header is parsed.
 */
export class AuditLog {
  /** The node directory. */
  public readonly hostPath: string;
  /** The mount path in the containers. */
  public readonly mountPath: string;
  /** The volume's name in the pods. */
  public readonly volumeName: string;

  /**
   * Checks the props: absolute, normalized paths other than `/`, and a DNS-1123 volume name.
   * @param props where the flag files live; every prop is optional
   */
  public constructor(props: AuditLogProps = {}) {
    const ctx = PropContext.named('AuditLog');
    this.hostPath = checkNotRoot(ctx, 'hostPath', checkAbsolutePath(ctx, 'hostPath', props.hostPath ?? '/tmp/ListOfDeletedPods'));
    this.mountPath = checkNotRoot(ctx, 'mountPath', checkAbsolutePath(ctx, 'mountPath', props.mountPath ?? '/preStopScriptOutput'));
    this.volumeName = checkDnsLabel(ctx, 'volumeName', props.volumeName ?? 'list-of-deleted-pods');
  }

  /** A new `hostPath` volume (`DirectoryOrCreate`) for the directory, in `scope`. */
  public volume(scope: Construct, id: string): kplus.Volume {
    return kplus.Volume.fromHostPath(scope, id, this.volumeName, {
      path: this.hostPath,
      type: kplus.HostPathVolumeType.DIRECTORY_OR_CREATE,
    });
  }

  /**
   * The preStop hook that writes a flag file. The pod's name, namespace, UID and node come
   * from downward API environment variables (`envVariables`); a value that does not look
   * like a Kubernetes name is written empty (the collector then rejects the file), so no
   * value can add a line or leave the directory.
   *
   * @param ctx where errors are reported; constructs pass theirs
   */
  public preStopHook(options: PreStopFlagHookOptions, ctx: PropContext = PropContext.named('AuditLog.preStopHook')): PreStopFlagHook {
    const containerName = checkDnsLabel(ctx, 'containerName', options.containerName);
    const delaySeconds = checkWholeSeconds(ctx, 'preStopDelay', options.preStopDelay ?? Duration.seconds(0), 0, 3600);
    const shell = checkAbsolutePath(ctx, 'shell', options.shell ?? '/bin/sh');
    const flagLines = options.flagLines ?? [];
    flagLines.forEach((line, i) => checkText(ctx, `flagLines[${i}]`, line));
    return sharedFrozen(['preStop', this.mountPath, containerName, delaySeconds, shell, flagLines], () =>
      this.buildPreStopHook(containerName, delaySeconds, shell, flagLines),
    );
  }

  private buildPreStopHook(containerName: string, delaySeconds: number, shell: string, flagLines: readonly string[]): PreStopFlagHook {
    const producer = [FLAG_HEADER_PRINTER, ...(flagLines.length > 0 ? [printLines(flagLines)] : [])];
    const script = new ShellScript({ shell }).add(
      ...(delaySeconds > 0 ? [sh`sleep ${delaySeconds}`] : []),
      // C locale: English dates, and byte ranges in the case patterns below.
      sh`LC_ALL=C
export LC_ALL`,
      // One date call for the header, the file name and the seed's line.
      sh`now=$(date -u '+%Y-%m-%dT%H:%M:%SZ %Y%m%dT%H%M%SZ %a %b %e %H:%M:%S UTC %Y')
f_stopped_at=\${now%% *}
now=\${now#* }
stamp=\${now%% *}
human_date=\${now#* }`,
      sh`# The downward API values, kept only if they look like Kubernetes names: one line, no '/'.`,
      DOWNWARD_API_SANITIZERS,
      sh`f_container=${containerName}`,
      // Pod name, UID, time and PID: unique across restarts and repeated hooks, never a
      // hidden name, and well under the 255-byte limit (cut with builtins: no process).
      sh`name_pod=\${f_pod:-unknown}
while [ "\${#name_pod}" -gt 100 ]; do name_pod=\${name_pod%?}; done
name_uid=\${f_uid:-unknown}
while [ "\${#name_uid}" -gt 40 ]; do name_uid=\${name_uid%?}; done
file=$name_pod.$name_uid.$stamp.$$${FLAG_FILE_EXTENSION}`,
      atomicWriteInto(this.mountPath, ShellCode.trusted('"$file"'), joinCode(producer)),
    );
    const envVariables: { [name: string]: kplus.EnvValue } = {};
    for (const field of FLAG_FIELDS) {
      if (field.fieldRef) envVariables[field.env] = kplus.EnvValue.fromFieldRef(field.fieldRef);
    }
    return { script, handler: kplus.Handler.fromCommand(script.toCommand()), envVariables, delaySeconds };
  }

  /**
   * The collector loop: a POSIX `sh` script (busybox is enough) that, every `pollInterval`,
   * claims each complete flag file by renaming it into `processing/`, parses its header as
   * data (no `eval`, no sourcing), runs the cleanup with the fields in environment
   * variables, and moves the file to `processed/`, or to `failed/` after `maxAttempts`
   * failed runs (attempts are marked on disk, as `processing/<file>.attempt.<n>`, removed
   * after each pass once the file has moved on). On start it
   * resumes what `processing/` holds. A lock (`flock` on `<dir>/.collector.lock`) keeps a
   * second collector on the node waiting until the first exits.
   *
   * The environment variable `COLLECTOR_PASSES=<n>` makes the loop stop after n passes
   * (for a run by hand, and the tests).
   *
   * @param ctx where errors are reported; constructs pass theirs
   */
  public collectorScript(
    options: AuditCollectorScriptOptions,
    ctx: PropContext = PropContext.named('AuditLog.collectorScript'),
  ): AuditCollectorScript {
    const cleanup = options.cleanupCommand;
    if (cleanup.length === 0 || cleanup[0] === '') {
      // Shown as a JSON array, unquoted.
      throw ctx.error(
        'cleanupCommand',
        { toString: () => JSON.stringify(cleanup) },
        'is not a command: it needs a program as its first word',
      );
    }
    cleanup.forEach((word, i) => checkText(ctx, `cleanupCommand[${i}]`, word));
    const pollSeconds = checkWholeSeconds(ctx, 'pollInterval', options.pollInterval ?? Duration.seconds(5), 1, 3600);
    const maxAttempts = checkIntegerRange(ctx, 'maxAttempts', options.maxAttempts ?? 3, 1, 100);
    const cleanupTimeoutSeconds = checkWholeSeconds(ctx, 'cleanupTimeout', options.cleanupTimeout ?? Duration.seconds(60), 1, 86400);
    return sharedFrozen(['collector', this.mountPath, cleanup, pollSeconds, maxAttempts, cleanupTimeoutSeconds], () =>
      this.buildCollectorScript(cleanup, pollSeconds, maxAttempts, cleanupTimeoutSeconds),
    );
  }

  private buildCollectorScript(
    cleanup: readonly string[],
    pollSeconds: number,
    maxAttempts: number,
    cleanupTimeoutSeconds: number,
  ): AuditCollectorScript {
    const { processing, processed, failed } = COLLECTOR_DIRS;
    const { resetFields, headerCases, checks, cleanupEnv } = COLLECTOR_FIELD_CODE;

    const script = new ShellScript().add(sh`LC_ALL=C
export LC_ALL
dir=${this.mountPath}
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
}

// The shell code that depends only on FLAG_FIELDS, built once rather than per hook or collector.

// The preStop hook's downward API values, each emptied unless it looks like a Kubernetes name.
const DOWNWARD_API_SANITIZERS = joinCode(
  FLAG_FIELDS.filter((field) => field.fieldRef).map((field) => {
    const variable = fieldVariable(field);
    return sh`${variable}=\${${ShellCode.trusted(field.env)}-}
case $${variable} in ${ShellCode.trusted(field.invalid)}) ${variable}= ;; esac`;
  }),
);

// Prints a flag file's header and the seed's two lines.
const FLAG_HEADER_PRINTER = joinCode([
  printLines([`format=${FLAG_FILE_FORMAT}`]),
  ...FLAG_FIELDS.map((field) => sh`printf '%s=%s\\n' ${field.key} "$${fieldVariable(field)}"`),
  sh`printf '\\n'`,
  sh`printf 'the date is %s\\n' "$human_date"`,
  sh`printf 'the pod %s has been terminated\\n' "\${f_pod:-unknown}"`,
]);

// The collector's parsing of a header, its checks, and the cleanup's environment.
const COLLECTOR_FIELD_CODE = {
  resetFields: ShellCode.trusted(FLAG_FIELDS.map((f) => `${fieldVariable(f)}=`).join(' ')),
  headerCases: joinCode(
    FLAG_FIELDS.map((f) => {
      const variable = fieldVariable(f);
      return sh`      ${`${f.key}=`}*) [ -z "$${variable}" ] || return 1; ${variable}=\${line#*=} ;;`;
    }),
  ),
  checks: joinCode(FLAG_FIELDS.map((f) => sh`  case $${fieldVariable(f)} in ${ShellCode.trusted(f.invalid)}) return 1 ;; esac`)),
  cleanupEnv: ShellCode.trusted(FLAG_FIELDS.map((f) => `${f.env}="$${fieldVariable(f)}"`).join(' ')),
};

// The shell variable holding a field's value in both scripts.
function fieldVariable(field: FlagField): ShellCode {
  return ShellCode.trusted(`f_${field.key}`);
}

function joinCode(parts: readonly ShellCode[]): ShellCode {
  return ShellCode.trusted(parts.map((p) => p.source).join('\n'));
}

function checkNotRoot(ctx: PropContext, prop: string, path: string): string {
  if (path === '/') throw ctx.error(prop, path, 'is the root directory: give the audit log a directory of its own');
  return path;
}
