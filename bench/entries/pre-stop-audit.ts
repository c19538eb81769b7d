import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { FlagFileDirectory, PreStopAuditCollector, PreStopAuditedPod } from '../../lib';
import { BenchEntry } from '../entry';
import { httpdProbes, withHookLog, withoutEmptyExternalIps } from '../hand-written';

/**
 * PreStopAuditedPod + PreStopAuditCollector (sharing one FlagFileDirectory, as in
 * examples/pre-stop-*.ts) against what a user writes without them: a Pod, a Service and
 * a DaemonSet from cdk8s-plus-27, the hostPath volume, the downward-API env, and JSON
 * patches for the security contexts cdk8s-plus-27 cannot express.
 *
 * Instance i: a named Pod, Service and collector DaemonSet, and a postStart page that
 * differs per instance. The preStop and collector scripts do not depend on i (same
 * container name, audit directory and cleanup command), so the hand-written side has them
 * as literal module-level strings, copied once from the library's output the way a user
 * copying them would have them: they cost the hand-written side nothing per instance,
 * while ours builds both scripts for every instance (that work is part of what is
 * measured). The per-instance postStart script is a template literal, as in the
 * HttpdWithPostStart entry.
 */
export const preStopAudit: BenchEntry = {
  name: 'PreStopAuditedPod + PreStopAuditCollector',

  ours: (chart, i) => {
    const flagDirectory = new FlagFileDirectory();
    new PreStopAuditedPod(chart, `audited-${i}`, {
      flagDirectory,
      podName: `audited-${i}`,
      serviceName: `audited-${i}`,
      labels: { component: 'httpd' },
      postStartContent: [`Page ${i}`],
    });
    new PreStopAuditCollector(chart, `collector-${i}`, {
      flagDirectory,
      name: `collector-${i}`,
      labels: { component: 'prestop-audit-collector' },
      cleanupCommand: ['/bin/sh', '-c', CLEANUP],
    });
  },

  handWritten: (chart, i) => {
    const labels = { component: 'httpd' };
    const scope = new Construct(chart, `audited-${i}`);
    const pod = new kplus.Pod(scope, 'Pod', {
      metadata: { name: `audited-${i}`, labels },
      terminationGracePeriod: Duration.seconds(30),
    });
    const postStart = `set -eu
mkdir -p '/usr/local/apache2/htdocs'
tmp='/usr/local/apache2/htdocs/.index.html.tmp.'$$
{
printf 'the date is: %s\\n' "$(date)"
printf '%s\\n' 'Page ${i}'
} > "$tmp"
mv -f "$tmp" '/usr/local/apache2/htdocs/index.html'
`;
    const auditVolume = kplus.Volume.fromHostPath(scope, 'AuditLogVolume', 'list-of-deleted-pods', {
      path: '/var/lib/cdk8s-pod-lifecycle/flags/incoming',
      type: kplus.HostPathVolumeType.DIRECTORY,
    });
    pod.addContainer({
      name: 'httpd',
      image: 'httpd:2.4.69',
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [{ number: 80, name: 'http' }],
      resources: {
        cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
      },
      lifecycle: {
        postStart: kplus.Handler.fromCommand(['/bin/sh', '-c', withHookLog('post-start-page', postStart)]),
        preStop: kplus.Handler.fromCommand(['/bin/sh', '-c', PRE_STOP]),
      },
      ...httpdProbes('/index.html'),
      envVariables: {
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
        POD_UID: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_UID),
        NODE_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME),
      },
      volumeMounts: [
        { path: '/usr/local/apache2/htdocs', volume: kplus.Volume.fromEmptyDir(scope, 'HtdocsVolume', 'htdocs'), readOnly: false },
        { path: '/usr/local/apache2/logs', volume: kplus.Volume.fromEmptyDir(scope, 'LogsVolume', 'httpd-logs') },
        { path: '/preStopScriptOutput', volume: auditVolume },
      ],
    });
    // httpd as a non-root user, binding port 80 through the unprivileged-port sysctl.
    ApiObject.of(pod).addJsonPatch(
      JsonPatch.add('/spec/containers/0/securityContext', {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsGroup: 10001,
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      }),
      JsonPatch.add('/spec/securityContext', {
        fsGroup: 10001,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
        sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }],
      }),
    );
    withoutEmptyExternalIps(
      new kplus.Service(scope, 'Service', {
        metadata: { name: `audited-${i}`, labels },
        type: kplus.ServiceType.NODE_PORT,
        selector: pod,
        ports: [{ port: 80, targetPort: 80, name: 'http' }],
      }),
    );

    const collectorLabels = { component: 'prestop-audit-collector' };
    const collectorScope = new Construct(chart, `collector-${i}`);
    const daemonSet = new kplus.DaemonSet(collectorScope, 'DaemonSet', {
      metadata: { name: `collector-${i}`, labels: collectorLabels },
      podMetadata: { labels: collectorLabels },
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(70),
    });
    daemonSet.addContainer({
      name: 'collector',
      image: 'busybox:1.37.0',
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', COLLECTOR],
      resources: {
        cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(16), limit: Size.mebibytes(64) },
      },
      volumeMounts: [
        {
          path: '/preStopScriptOutput',
          volume: kplus.Volume.fromHostPath(collectorScope, 'AuditLogVolume', 'list-of-deleted-pods', {
            path: '/var/lib/cdk8s-pod-lifecycle/flags',
            type: kplus.HostPathVolumeType.DIRECTORY_OR_CREATE,
          }),
        },
        { path: '/tmp', volume: kplus.Volume.fromEmptyDir(collectorScope, 'TmpVolume', 'tmp') },
      ],
    });
    daemonSet.scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.any()));
    ApiObject.of(daemonSet).addJsonPatch(
      JsonPatch.add('/spec/template/spec/containers/0/securityContext', {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: false,
        runAsUser: 0,
        seccompProfile: { type: 'RuntimeDefault' },
      }),
      JsonPatch.add('/spec/template/spec/securityContext', {
        runAsNonRoot: false,
        seccompProfile: { type: 'RuntimeDefault' },
      }),
    );
  },
};

// The collector's cleanup, from examples/pre-stop-audit-collector.ts: it only reports the pod.
const CLEANUP =
  'printf "cleanup: pod %s/%s (uid %s), container %s stopped at %s on node %s\\n" ' +
  '"$POD_NAMESPACE" "$POD_NAME" "$POD_UID" "$CONTAINER_NAME" "$STOPPED_AT" "$NODE_NAME"';

// The preStop flag-file script for container 'httpd' and /preStopScriptOutput, typed out.
const PRE_STOP = withHookLog(
  'pre-stop-flag',
  `set -eu
LC_ALL=C
export LC_ALL
now=$(date -u '+%Y-%m-%dT%H:%M:%SZ %Y%m%dT%H%M%SZ %a %b %e %H:%M:%S UTC %Y')
f_stopped_at=\${now%% *}
now=\${now#* }
stamp=\${now%% *}
human_date=\${now#* }
# The downward API values, kept only if they look like Kubernetes names: one line, no '/'.
f_pod=\${POD_NAME-}
case $f_pod in ''|[!a-z0-9]*|*[!a-z0-9.-]*) f_pod= ;; esac
f_namespace=\${POD_NAMESPACE-}
case $f_namespace in ''|[!a-z0-9]*|*[!a-z0-9.-]*) f_namespace= ;; esac
f_uid=\${POD_UID-}
case $f_uid in ''|[!a-z0-9]*|*[!a-z0-9.-]*) f_uid= ;; esac
f_node=\${NODE_NAME-}
case $f_node in ''|[!a-z0-9]*|*[!a-z0-9.-]*) f_node= ;; esac
f_container='httpd'
name_pod=\${f_pod:-unknown}
while [ "\${#name_pod}" -gt 100 ]; do name_pod=\${name_pod%?}; done
name_uid=\${f_uid:-unknown}
while [ "\${#name_uid}" -gt 40 ]; do name_uid=\${name_uid%?}; done
file=$name_pod.$name_uid.$stamp.$$'.txt'
tmp='/preStopScriptOutput/.'"$file"'.tmp.'$$
{
printf '%s\\n' 'format=cdk8s-pod-lifecycle/prestop-flag/v1'
printf '%s=%s\\n' 'stopped_at' "$f_stopped_at"
printf '%s=%s\\n' 'pod' "$f_pod"
printf '%s=%s\\n' 'namespace' "$f_namespace"
printf '%s=%s\\n' 'uid' "$f_uid"
printf '%s=%s\\n' 'node' "$f_node"
printf '%s=%s\\n' 'container' "$f_container"
printf '\\n'
printf 'the date is %s\\n' "$human_date"
printf 'the pod %s has been terminated\\n' "\${f_pod:-unknown}"
} > "$tmp"
mv -f "$tmp" '/preStopScriptOutput/'"$file"
`,
);

// The collector loop for /preStopScriptOutput (poll 5 s, 3 attempts, 60 s timeout) running
// CLEANUP, typed out (the cleanup command is single-quoted in it).
const COLLECTOR = `set -eu
# Every step below handles its own failure: one bad file fails that file, never the loop.
set +e
LC_ALL=C
export LC_ALL
dir='/preStopScriptOutput'
incoming=$dir/'incoming'
state_dirs='processing processed failed attempts'
poll_seconds='5'
max_attempts='3'
cleanup_timeout='60'
header_max='4096'
nl='
'
log() { printf 'prestop-audit-collector: %s\\n' "$*"; }
parse() {
  f_stopped_at= f_pod= f_namespace= f_uid= f_node= f_container=
  reason='not a flag file of format cdk8s-pod-lifecycle/prestop-flag/v1'
  head -c "$header_max" < "$1" > "$dir/.header" || return 1
  {
    IFS= read -r line && [ "$line" = 'format=cdk8s-pod-lifecycle/prestop-flag/v1' ] || return 1
    while :; do
      if ! IFS= read -r line; then
        reason="no header ending in an empty line within the first $header_max bytes"
        return 1
      fi
      case $line in
      '') break ;;
      'stopped_at='*) [ -z "$f_stopped_at" ] || return 1; f_stopped_at=\${line#*=} ;;
      'pod='*) [ -z "$f_pod" ] || return 1; f_pod=\${line#*=} ;;
      'namespace='*) [ -z "$f_namespace" ] || return 1; f_namespace=\${line#*=} ;;
      'uid='*) [ -z "$f_uid" ] || return 1; f_uid=\${line#*=} ;;
      'node='*) [ -z "$f_node" ] || return 1; f_node=\${line#*=} ;;
      'container='*) [ -z "$f_container" ] || return 1; f_container=\${line#*=} ;;
      *) return 1 ;;
      esac
    done
  } < "$dir/.header"
  case $f_stopped_at in ''|*[!0-9TZ:-]*) return 1 ;; esac
  case $f_pod in ''|[!a-z0-9]*|*[!a-z0-9.-]*) return 1 ;; esac
  case $f_namespace in ''|[!a-z0-9]*|*[!a-z0-9.-]*) return 1 ;; esac
  case $f_uid in ''|[!a-z0-9]*|*[!a-z0-9.-]*) return 1 ;; esac
  case $f_node in ''|[!a-z0-9]*|*[!a-z0-9.-]*) return 1 ;; esac
  case $f_container in ''|[!a-z0-9]*|*[!a-z0-9.-]*) return 1 ;; esac
}
# Makes $1 a directory; whatever else holds its name is moved aside first (and logged).
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
  for f in "$incoming"/*'.txt'; do
    if [ -f "$f" ] && [ ! -L "$f" ]; then set -- "$@" "$f"; fi
    if [ "$#" -ge '64' ]; then mv -f "$@" "$dir/"'processing'/ || log 'could not claim every file'; set --; fi
  done
  if [ "$#" -gt 0 ]; then mv -f "$@" "$dir/"'processing'/ || log 'could not claim every file'; fi
}

# Removes the attempt marks of files that left processing/, in batches of 64.
drop_marks() {
  set --
  for mark in "$dir/"'attempts'/*/*; do
    if [ -e "$mark" ] && [ ! -e "$dir/"'processing'"/\${mark##*/}" ]; then set -- "$@" "$mark"; fi
    if [ "$#" -ge '64' ]; then rm -f "$@"; set --; fi
  done
  if [ "$#" -gt 0 ]; then rm -f "$@"; fi
}
# Runs the cleanup for a claimed file ($1), at most max_attempts times in all. Attempt n is
# marked by the empty file attempts/n/<name>, made before anything else, so a file that kills
# the collector is not retried forever.
process() {
  name=\${1##*/}
  attempt=1
  while [ -e "$dir/"'attempts'"/$attempt/$name" ]; do attempt=$((attempt + 1)); done
  if [ "$attempt" -gt "$max_attempts" ]; then
    finish "$1" 'failed' "gave up after $max_attempts attempts"
    return
  fi
  [ -d "$dir/"'attempts'"/$attempt" ] || mkdir -p "$dir/"'attempts'"/$attempt"
  if ! printf '' > "$dir/"'attempts'"/$attempt/$name"; then
    log "skipped: $name: could not mark attempt $attempt"
    return
  fi
  if ! parse "$1"; then
    finish "$1" 'failed' "$reason"
    return
  fi
  status=0
  STOPPED_AT="$f_stopped_at" POD_NAME="$f_pod" POD_NAMESPACE="$f_namespace" POD_UID="$f_uid" NODE_NAME="$f_node" CONTAINER_NAME="$f_container" FLAG_FILE="$1" CLEANUP_ATTEMPT="$attempt" \\
    timeout -k '5' "$cleanup_timeout" '/bin/sh' '-c' 'printf "cleanup: pod %s/%s (uid %s), container %s stopped at %s on node %s\\n" "$POD_NAMESPACE" "$POD_NAME" "$POD_UID" "$CONTAINER_NAME" "$STOPPED_AT" "$NODE_NAME"' </dev/null 9>&- || status=$?
  if [ "$status" -eq 0 ]; then
    finish "$1" 'processed' "cleanup succeeded on attempt $attempt"
  elif [ "$attempt" -ge "$max_attempts" ]; then
    finish "$1" 'failed' "cleanup failed with status $status on attempt $attempt of $max_attempts"
  else
    log "retry: $name: cleanup failed with status $status on attempt $attempt of $max_attempts"
  fi
}
for tool in flock timeout head; do
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
  for f in "$dir/"'processing'/*'.txt'; do
    [ "$stopping" = 0 ] || break
    if [ -f "$f" ] && [ ! -L "$f" ]; then
      process "$f"
    elif [ -e "$f" ] || [ -L "$f" ]; then
      finish "$f" 'failed' 'not a regular file'
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
log stopping
`;
