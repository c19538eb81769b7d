import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { GitClonedSiteInit } from '../../lib';
import { BenchEntry } from '../entry';
import { DRAIN_COMMAND, httpdProbes, withoutEmptyExternalIps } from '../hand-written';

/**
 * GitClonedSiteInit against what a user writes without it: a Deployment, a Service and a PodDisruptionBudget
 * from cdk8s-plus-27 with the git-clone init container, the three emptyDir volumes, and
 * JSON patches for the security contexts cdk8s-plus-27 cannot express.
 *
 * Instance i: a named Deployment and Service of the same public https repository (the
 * one examples/git-cloned-site.ts serves). The clone script depends only on the
 * repository, so the hand-written side has it as a literal module-level string, copied
 * once from the library's output the way a user copying it would have it: it costs the
 * hand-written side nothing per instance, while ours builds it for every instance.
 */
export const gitClonedSiteInit: BenchEntry = {
  name: 'GitClonedSiteInit',

  ours: (chart, i) => {
    new GitClonedSiteInit(chart, `site-${i}`, {
      repository: 'https://github.com/mdn/beginner-html-site-styled.git',
      deploymentName: `site-${i}`,
      serviceName: `site-${i}`,
      labels: { component: 'httpd' },
    });
  },

  handWritten: (chart, i) => {
    const labels = { component: 'httpd' };
    const scope = new Construct(chart, `site-${i}`);
    const deployment = new kplus.Deployment(scope, 'Deployment', {
      metadata: { name: `site-${i}`, labels },
      podMetadata: { labels },
      replicas: 2,
      terminationGracePeriod: Duration.seconds(30),
    });
    deployment.scheduling.spread({ topology: kplus.Topology.HOSTNAME, weight: 100 });
    const site = kplus.Volume.fromEmptyDir(scope, 'GitSiteVolume', 'git-site', { sizeLimit: Size.gibibytes(1) });
    deployment.addContainer({
      name: 'httpd',
      image: 'httpd:2.4.69',
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['httpd-foreground', '-c', 'DocumentRoot "/usr/local/apache2/htdocs/site"'],
      lifecycle: { preStop: kplus.Handler.fromCommand([...DRAIN_COMMAND]) },
      ...httpdProbes('/'),
      ports: [{ number: 80, name: 'http' }],
      resources: {
        cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
      },
      volumeMounts: [
        { path: '/usr/local/apache2/htdocs', volume: site, readOnly: true },
        { path: '/usr/local/apache2/logs', volume: kplus.Volume.fromEmptyDir(scope, 'LogsVolume', 'httpd-logs') },
      ],
    });
    deployment.addInitContainer({
      name: 'git-clone',
      image: 'alpine/git:2.54.0',
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/bin/sh', '-c', CLONE],
      workingDir: '/git',
      envVariables: { HOME: kplus.EnvValue.fromValue('/tmp') },
      resources: {
        cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(512) },
        ephemeralStorage: { limit: Size.gibibytes(2) },
      },
      volumeMounts: [
        { path: '/git', volume: site },
        { path: '/tmp', volume: kplus.Volume.fromEmptyDir(scope, 'GitHomeVolume', 'git-home') },
      ],
    });
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/containers/0/securityContext', {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
        runAsGroup: 10001,
        runAsUser: 10001,
      }),
      JsonPatch.add('/spec/template/spec/securityContext', {
        fsGroup: 10001,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
        sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }],
      }),
      JsonPatch.add('/spec/template/spec/initContainers/0/securityContext', {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
        runAsGroup: 65534,
        runAsUser: 65534,
      }),
    );
    withoutEmptyExternalIps(
      new kplus.Service(scope, 'Service', {
        metadata: { name: `site-${i}`, labels },
        type: kplus.ServiceType.NODE_PORT,
        selector: deployment,
        ports: [{ port: 80, targetPort: 80, name: 'http' }],
      }),
    );
    new kplus.k8s.KubePodDisruptionBudget(scope, 'PodDisruptionBudget', {
      metadata: { name: `site-${i}`, labels },
      spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: deployment.matchLabels } },
    });
  },
};

// The init container's clone of https://github.com/mdn/beginner-html-site-styled.git
// into /git/site, typed out.
const CLONE = `set -eu
umask 022
export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 GIT_ALLOW_PROTOCOL='https'
site_git() { git '-c' 'advice.detachedHead=false' '-c' 'core.symlinks=false' '-c' 'gc.auto=0' '-c' 'maintenance.auto=false' '-c' 'fetch.unpackLimit=2147483647' '-c' 'http.lowSpeedLimit=1000' '-c' 'http.lowSpeedTime=60' "$@"; }
# A network step, named by $1, under the time limit; a timeout is logged with the remote.
net_git() {
  step=$1
  shift
  status=0
  timeout -k 5 '300' git '-c' 'advice.detachedHead=false' '-c' 'core.symlinks=false' '-c' 'gc.auto=0' '-c' 'maintenance.auto=false' '-c' 'fetch.unpackLimit=2147483647' '-c' 'http.lowSpeedLimit=1000' '-c' 'http.lowSpeedTime=60' "$@" || status=$?
  case $status in
  124 | 137 | 143) printf 'git-site: %s of %s timed out after %ss\\n' "$step" 'https://github.com/mdn/beginner-html-site-styled.git' '300' >&2 ;;
  esac
  return "$status"
}
repo='.git-site-repository'
current=
if [ -L 'site' ]; then current=$(readlink 'site'); fi
keep=\${current%%/*}
for old in .git-site.*; do
  if { [ -e "$old" ] || [ -L "$old" ]; } && [ "$old" != "$keep" ]; then rm -rf "$old"; fi
done
remote=$(net_git ls-remote ls-remote -- 'https://github.com/mdn/beginner-html-site-styled.git' HEAD)
if [ -z "$remote" ]; then
  printf 'git-site: %s has no %s\\n' 'https://github.com/mdn/beginner-html-site-styled.git' 'the default branch' >&2
  exit 1
fi
src=HEAD
if [ -n "$keep" ] && [ -f "$keep/remote" ] && [ "$remote" = "$(cat "$keep/remote")" ]; then
  printf 'git-site: %s is up to date\\n' 'the default branch'
  exit 0
fi
answer="$remote
"
oid=\${answer%%"	$src
"*}
oid=\${oid##*"
"}
case $oid in
'' | *[!0-9a-f]*) oid=$src ;;
esac
format=sha1
if [ \${#oid} = 64 ]; then format=sha256; fi
new=$(mktemp -d '.git-site.XXXXXX')
chmod 755 "$new"
# One update in the one repository: fetch the wanted commit (only what is new), check it
# out into a new tree. Only this script writes the repository, one run at a time: one the
# last update left complete (its mark) is used as it is; in any other, a killed run may
# have left lock files and unpruned objects.
fetch_wanted() {
  if [ "$oid" != "$src" ]; then
    refused=$(net_git fetch --git-dir="$repo" fetch --quiet --no-tags --depth='1' origin "+$oid:refs/git-site/fetched" 2>&1) && return
    status=$?
    case $status in
    124 | 137 | 143)
      printf '%s\\n' "$refused" >&2
      return "$status"
      ;;
    esac
  fi
  net_git fetch --git-dir="$repo" fetch --quiet --no-tags --depth='1' origin "+$src:refs/git-site/fetched"
}
fresh=
check_out() {
  if [ -f "$repo"/'git-site-clean' ]; then
    rm -f "$repo"/'git-site-clean'
  elif [ "$(site_git --git-dir="$repo" rev-parse --show-object-format 2>/dev/null)" != "$format" ]; then
    if [ -e "$repo" ]; then printf 'git-site: the repository in the volume is damaged (no %s repository): cloning afresh\\n' "$format" >&2; fi
    rm -rf "$repo"
    site_git init --quiet --bare --template= --object-format="$format" "$repo" || return
    site_git --git-dir="$repo" config remote.origin.url 'https://github.com/mdn/beginner-html-site-styled.git' || return
    fresh=1
  else
    rm -f "$repo"/*.lock "$repo"/refs/git-site/*.lock
    site_git --git-dir="$repo" worktree prune && site_git --git-dir="$repo" prune --expire=now || return
  fi
  if ! fetch_wanted; then
    return 1
  fi
  commit=$(site_git --git-dir="$repo" rev-parse --verify --quiet 'refs/git-site/fetched^{commit}') || return
  site_git --git-dir="$repo" worktree add --quiet --detach "$new/tree" "$commit" || return
}
status=0
if ! check_out; then
  # A time limit is the remote's doing; anything else in a repository this run did not
  # make may be its damage (a run killed mid-write, a full disk): one more try, from scratch.
  case $status in 124 | 137 | 143) exit 1 ;; esac
  if [ -n "$fresh" ]; then exit 1; fi
  printf 'git-site: the update failed in the repository in the volume: cloning afresh\\n' >&2
  rm -rf "$repo" "$new/tree"
  check_out
fi
rm -f "$new/tree/.git"
size=$(du -skc "$repo" "$new" | tail -n 1)
size=\${size%%[!0-9]*}
if [ "$size" -gt '524288' ]; then
  printf 'git-site: %s takes %s KiB with the repository, more than maxTreeSize (%s KiB): not served\\n' 'the default branch' "$size" '524288' >&2
  rm -rf "$new"
  exit 1
fi
target="$new/tree"
if [ ! -d "$target" ]; then
  printf 'git-site: %s is not a directory in %s\\n' '' 'the default branch' >&2
  exit 1
fi
printf '%s\\n' "$remote" > "$new/remote"
ln -s "$target" "$new.link"
mv -f -T "$new.link" 'site'
printf 'git-site: serving %s\\n' "$commit"
# The replaced tree stays until the next update; the objects only it needed go now. A
# repository left unpruned has no mark: the next update repairs it.
if ! { site_git --git-dir="$repo" worktree prune && site_git --git-dir="$repo" prune --expire=now; }; then
  printf 'git-site: could not prune the repository: the next update repairs it\\n' >&2
  exit 0
fi
if [ -d "$repo" ]; then : > "$repo"/'git-site-clean'; fi
`;
