// The script of one update of a git site: what GitCloneScript's init container runs once
// and its sync sidecar every interval, and the layout it writes in the volume.
import { MAX_INT32 } from '../core/limits';
import { sh, shellQuote, ShellCode, ShellScript } from '../core/shell';
import type { GitCredentialFiles, GitSubmodules } from './git-clone-script';
import { GitProtocol, httpsServerUrl } from './git-rules';

/** The fixed parts of the git steps' time limits (see {@link GitCloneScriptProps.networkTimeout}). */
export const GIT_NETWORK_LIMITS = {
  /** The default `networkTimeout`, in seconds. */
  defaultTimeoutSeconds: 300,
  /** https: the slowest transfer git keeps going (`http.lowSpeedLimit`, bytes per second)... */
  lowSpeedBytesPerSecond: 1000,
  /** ...for at most this long (`http.lowSpeedTime`). */
  lowSpeedSeconds: 60,
  /** ssh: a keep-alive every this many seconds (`ServerAliveInterval`)... */
  sshAliveIntervalSeconds: 15,
  /** ...and the connection dropped after this many unanswered (`ServerAliveCountMax`). */
  sshAliveCountMax: 4,
  /** ssh: the time limit of the TCP connection and the banner exchange (`ConnectTimeout`). */
  sshConnectTimeoutSeconds: 30,
} as const;

/** Facts about the directory layout a {@link GitCloneScript} writes. */
export const GIT_CLONE_LAYOUT = {
  /**
   * The symbolic link, in the working directory, to the served tree. Point the web
   * server's document root at it; each update replaces it atomically.
   */
  linkName: 'site',
  /** Prefix of the snapshot directories (`<prefix>XXXXXX/{tree,remote}`) next to the link. */
  snapshotPrefix: '.git-site.',
  /**
   * The one git repository (bare, shallow) next to the link: each update fetches only
   * what is new into it and checks the commit out as a new snapshot's tree.
   */
  repositoryDir: '.git-site-repository',
  /** Set to N, the sync loop stops after N rounds (for tests). */
  iterationsEnv: 'GIT_SITE_SYNC_ITERATIONS',
  /**
   * In a snapshot, the file that holds its commit id while {@link GitCloneScriptProps.afterUpdateCommand}
   * has not yet succeeded for it.
   */
  afterUpdatePending: 'after-update-pending',
} as const;

// In the repository: the last update ended complete (pruned, no locks held).
const CLEAN_MARK = 'git-site-clean';

/**
 * The script of one update (the init container's; the sync sidecar runs it every interval):
 * look up the ref, fetch what is new into the one repository, check the commit out as a new
 * snapshot, switch the link, prune.
 */
export function buildUpdateScript(inputs: UpdateScriptInputs): ShellScript {
  const { protocol, creds, shell, timeoutSeconds } = inputs;
  return new ShellScript({ shell }).add(
    ShellCode.trusted('umask 022'),
    sh`export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 GIT_ALLOW_PROTOCOL=${protocol}`,
    ...(creds?.kind === 'ssh'
      ? [sh`export GIT_SSH_COMMAND=${sshCommand(creds.privateKeyPath, creds.knownHostsPath, timeoutSeconds)}`]
      : []),
    gitFunctions(inputs),
    dropOldSnapshots(),
    newCommit(inputs),
    repositoryUpdate(inputs),
    publishTree(inputs),
  );
}

/** What the log calls the followed ref. */
function wantedName({ ref, commit }: UpdateScriptInputs): string {
  return commit !== undefined ? `commit ${commit}` : ref === undefined ? 'the default branch' : `branch or tag ${ref}`;
}

/** The sub-path, when git's sparse patterns can name it: only its directory is checked out. */
function sparseSubPath({ subPath }: UpdateScriptInputs): string | undefined {
  return subPath !== undefined && sparseCheckoutNames(subPath) ? subPath : undefined;
}

// The `-c` options of every git command.
function gitConfigArgs({ protocol, repository, creds, caBundlePath, keepSymlinks, timeoutSeconds }: UpdateScriptInputs): string[] {
  // Objects stay loose (fetch.unpackLimit), so pruning frees exactly what no commit needs;
  // nothing repacks behind the script's back (gc.auto, maintenance.auto).
  const gitConfig = [
    '-c',
    'advice.detachedHead=false',
    '-c',
    `core.symlinks=${keepSymlinks ? 'true' : 'false'}`,
    '-c',
    'gc.auto=0',
    '-c',
    'maintenance.auto=false',
    '-c',
    `fetch.unpackLimit=${MAX_INT32}`,
  ];
  if (protocol === 'https') {
    const { lowSpeedBytesPerSecond, lowSpeedSeconds } = GIT_NETWORK_LIMITS;
    gitConfig.push(
      '-c',
      `http.lowSpeedLimit=${lowSpeedBytesPerSecond}`,
      '-c',
      `http.lowSpeedTime=${Math.min(lowSpeedSeconds, timeoutSeconds)}`,
    );
  }
  if (creds?.kind === 'https') {
    // git runs `!` helpers with sh; the helper prints the mounted files, so the token is
    // never in the manifest, the URL or any command line. Only for the repository's own
    // server: a submodule elsewhere never gets the token.
    const helper = `!f() { test "$1" = get || return 0; printf 'username=%s\\npassword=%s\\n' "$(cat ${shellQuote(creds.usernamePath)})" "$(cat ${shellQuote(creds.passwordPath)})"; }; f`;
    gitConfig.push('-c', `credential.${httpsServerUrl(repository)}.helper=${helper}`);
  }
  // Replaces the image's CA bundle for this server only; verification stays on.
  if (caBundlePath !== undefined) gitConfig.push('-c', `http.${httpsServerUrl(repository)}.sslCAInfo=${caBundlePath}`);
  return gitConfig;
}

// site_git: git with the script's config; net_git: a network step under the time limit.
function gitFunctions(inputs: UpdateScriptInputs): ShellCode {
  const gitConfig = gitConfigArgs(inputs);
  const { repository, timeoutSeconds } = inputs;
  return sh`site_git() { git ${gitConfig} "$@"; }
# A network step, named by $1, under the time limit; a timeout is logged with the remote.
net_git() {
  step=$1
  shift
  status=0
  timeout -k 5 ${timeoutSeconds} git ${gitConfig} "$@" || status=$?
  case $status in
  124 | 137 | 143) printf 'git-site: %s of %s timed out after %ss\\n' "$step" ${repository} ${timeoutSeconds} >&2 ;;
  esac
  return "$status"
}
repo=${GIT_CLONE_LAYOUT.repositoryDir}`;
}

// Keep only the snapshot the link points to: this drops a half-written tree of an
// interrupted run and the tree the previous update replaced (kept one interval for
// requests still reading it).
function dropOldSnapshots(): ShellCode {
  const { linkName, snapshotPrefix } = GIT_CLONE_LAYOUT;
  return sh`current=
if [ -L ${linkName} ]; then current=$(readlink ${linkName}); fi
keep=\${current%%/*}
for old in ${ShellCode.trusted(snapshotPrefix)}*; do
  if { [ -e "$old" ] || [ -L "$old" ]; } && [ "$old" != "$keep" ]; then rm -rf "$old"; fi
done`;
}

// Where the ref is now; an unchanged answer ends the update. Else: a new snapshot directory.
function newCommit(inputs: UpdateScriptInputs): ShellCode {
  const { repository, ref, commit } = inputs;
  const wanted = wantedName(inputs);
  // The answer's line for $src: its id (a hostile answer that gives none fetches $src),
  // whose length tells the object format.
  const remoteObjectId = ShellCode.trusted(`answer="$remote
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
`);
  return sh`${lookUpRemote(repository, ref, commit, wanted)}
if [ -n "$keep" ] && [ -f "$keep/remote" ] && [ "$remote" = "$(cat "$keep/remote")" ]; then
  printf 'git-site: %s is up to date\\n' ${wanted}
  exit 0
fi
${commit === undefined ? remoteObjectId : ShellCode.trusted('')}new=$(mktemp -d ${GIT_CLONE_LAYOUT.snapshotPrefix + 'XXXXXX'})
chmod 755 "$new"`;
}

// The fetch into refs/git-site/fetched and the checkout into "$new/tree" (check_out), in
// the repository as an earlier update left it, or, after a failure there, in a fresh one.
function repositoryUpdate(inputs: UpdateScriptInputs): ShellCode {
  const { repository, commit } = inputs;
  const sparse = sparseSubPath(inputs) !== undefined;
  const fetch = fetchStep(inputs);
  const objectFormat = commit === undefined ? ShellCode.trusted('"$format"') : ShellCode.trusted(commit.length === 64 ? 'sha256' : 'sha1');
  // origin: what relative submodule URLs are resolved against, and a partial clone's
  // lazy fetches ask.
  const remoteConfig = sh`
    site_git --git-dir="$repo" config remote.origin.url ${repository} || return${
      sparse
        ? sh`
    site_git --git-dir="$repo" config remote.origin.promisor true &&
      site_git --git-dir="$repo" config remote.origin.partialclonefilter blob:none || return`
        : ShellCode.trusted('')
    }`;
  return sh`# One update in the one repository: fetch the wanted commit (only what is new), check it
# out into a new tree. Only this script writes the repository, one run at a time: one the
# last update left complete (its mark) is used as it is; in any other, a killed run may
# have left lock files and unpruned objects.${fetch.functions}
fresh=
check_out() {
  if [ -f "$repo"/${CLEAN_MARK} ]; then
    rm -f "$repo"/${CLEAN_MARK}
  elif [ "$(site_git --git-dir="$repo" rev-parse --show-object-format 2>/dev/null)" != ${objectFormat} ]; then
    if [ -e "$repo" ]; then printf 'git-site: the repository in the volume is damaged (no %s repository): cloning afresh\\n' ${objectFormat} >&2; fi
    rm -rf "$repo"
    site_git init --quiet --bare --template= --object-format=${objectFormat} "$repo" || return${remoteConfig}
    fresh=1
  else
    rm -f "$repo"/*.lock "$repo"/refs/git-site/*.lock
    site_git --git-dir="$repo" worktree prune && site_git --git-dir="$repo" prune --expire=now || return
  fi
  if ! ${fetch.call}; then${fetch.failed}
    return 1
  fi
  commit=$(site_git --git-dir="$repo" rev-parse --verify --quiet 'refs/git-site/fetched^{commit}') || return
  ${checkoutStep(inputs)}
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
fi`;
}

// The fetch of the wanted commit into refs/git-site/fetched: shell functions to define,
// the command that runs it, and what a failure logs.
function fetchStep(inputs: UpdateScriptInputs): { readonly functions: ShellCode; readonly call: ShellCode; readonly failed: ShellCode } {
  const { repository, commit, depth } = inputs;
  const sparse = sparseSubPath(inputs) !== undefined;
  const fetchInto = (refspec: string) =>
    sh`net_git fetch --git-dir="$repo" fetch --quiet --no-tags --depth=${depth}${ShellCode.trusted(sparse ? ' --filter=blob:none' : '')} origin ${ShellCode.trusted(refspec)}`;
  if (commit !== undefined) {
    return {
      functions: ShellCode.trusted(''),
      call: fetchInto('"+$src:refs/git-site/fetched"'),
      failed: sh`
    printf 'git-site: could not fetch commit %s from %s: the repository has no such commit, or its server does not allow fetching a commit by its id (it needs git protocol v2, or uploadpack.allowReachableSHA1InWant=true)\\n' ${commit} ${repository} >&2`,
    };
  }
  // A ref is fetched by the id ls-remote gave for it: the server need not list its refs
  // again (protocol v2 skips that step for ids). A server that sends only what it
  // advertises (protocol v0) refuses an id: it is asked for the ref by its name.
  const functions = sh`
fetch_wanted() {
  if [ "$oid" != "$src" ]; then
    refused=$(${fetchInto('"+$oid:refs/git-site/fetched"')} 2>&1) && return
    status=$?
    case $status in
    124 | 137 | 143)
      printf '%s\\n' "$refused" >&2
      return "$status"
      ;;
    esac
  fi
  ${fetchInto('"+$src:refs/git-site/fetched"')}
}`;
  return { functions, call: ShellCode.trusted('fetch_wanted'), failed: ShellCode.trusted('') };
}

// The checkout of "$commit" into "$new/tree", with its submodules.
function checkoutStep(inputs: UpdateScriptInputs): ShellCode {
  const { repository, depth, submodules, protocol } = inputs;
  const sparsePath = sparseSubPath(inputs);
  // With a sub-path, the tree is made empty, told its cone, then checked out; a partial
  // clone fetches the checkout's blobs during the checkout: a network step.
  const checkout =
    sparsePath !== undefined
      ? sh`site_git --git-dir="$repo" worktree add --quiet --detach --no-checkout "$new/tree" "$commit" || return
  site_git -C "$new/tree" sparse-checkout set --cone --skip-checks --end-of-options ${sparsePath} || return
  net_git checkout -C "$new/tree" checkout --quiet --detach "$commit" || return`
      : sh`site_git --git-dir="$repo" worktree add --quiet --detach "$new/tree" "$commit" || return`;
  const recursive = submodules === 'recursive' ? ['--recursive'] : [];
  const cloneSubmodules =
    submodules === 'off'
      ? ShellCode.trusted('')
      : sh`
  if ! net_git 'submodule update' -C "$new/tree" submodule --quiet update --init ${recursive} --depth=${depth}; then
    printf 'git-site: could not clone the submodules of %s: their URLs must use the transport %s (relative URLs do), and their servers must have the recorded commits\\n' ${repository} ${protocol} >&2
    return 1
  fi`;
  return sh`${checkout}${cloneSubmodules}`;
}

// The new tree, checked, becomes the served one; then the repository is pruned and marked.
function publishTree(inputs: UpdateScriptInputs): ShellCode {
  const { subPath, submodules, markAfterUpdate, maxTreeKib } = inputs;
  const { linkName, afterUpdatePending } = GIT_CLONE_LAYOUT;
  const wanted = wantedName(inputs);
  const served = subPath === undefined ? ShellCode.trusted('') : sh`/${subPath}`;
  // Git state stays out of the served tree: the worktree's `.git` link file goes (and the
  // submodules' ones); `worktree prune` then forgets the tree.
  const dropGitLinks =
    submodules === 'off' ? ShellCode.trusted('rm -f "$new/tree/.git"') : ShellCode.trusted('find "$new/tree" -name .git -exec rm -f {} +');
  // A partial clone keeps every object it fetched (git never prunes promisor objects): when
  // the repository has grown to twice what the served commit needs, it is fetched afresh.
  const compact =
    sparseSubPath(inputs) !== undefined
      ? sh`
used=$(du -sk "$repo")
used=\${used%%[!0-9]*}
needed=$(site_git --git-dir="$repo" rev-list --objects --missing=allow-promisor --disk-usage refs/git-site/fetched)
if [ "$used" -gt $((needed / 512 + 1024)) ]; then
  printf 'git-site: the repository takes %s KiB, the served commit %s KiB of it: it is fetched afresh at the next update\\n' "$used" $((needed / 1024))
  rm -rf "$repo"
fi`
      : ShellCode.trusted('');
  const pending = markAfterUpdate
    ? sh`
printf '%s\\n' "$commit" > "$new"/${afterUpdatePending}`
    : ShellCode.trusted('');
  return sh`${dropGitLinks}${treeSizeCheck(maxTreeKib, wanted)}
target="$new/tree"${served}
if [ ! -d "$target" ]; then
  printf 'git-site: %s is not a directory in %s\\n' ${subPath ?? ''} ${wanted} >&2
  exit 1
fi
printf '%s\\n' "$remote" > "$new/remote"${pending}
ln -s "$target" "$new.link"
mv -f -T "$new.link" ${linkName}
printf 'git-site: serving %s\\n' "$commit"
# The replaced tree stays until the next update; the objects only it needed go now. A
# repository left unpruned has no mark: the next update repairs it.
if ! { site_git --git-dir="$repo" worktree prune && site_git --git-dir="$repo" prune --expire=now; }; then
  printf 'git-site: could not prune the repository: the next update repairs it\\n' >&2
  exit 0
fi${compact}
if [ -d "$repo" ]; then : > "$repo"/${CLEAN_MARK}; fi`;
}

// ssh as git runs it: no user or system ssh config, only the mounted key, the host key
// checked against the mounted known_hosts, no prompts. git runs this through sh; the
// paths are plain (checked), so they need no quoting at either level.
function sshCommand(privateKeyPath: string, knownHostsPath: string, timeoutSeconds: number): string {
  const { sshAliveIntervalSeconds, sshAliveCountMax, sshConnectTimeoutSeconds } = GIT_NETWORK_LIMITS;
  return [
    'ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes',
    `-o IdentityFile=${privateKeyPath}`,
    '-o StrictHostKeyChecking=yes',
    `-o UserKnownHostsFile=${knownHostsPath}`,
    `-o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=${Math.min(sshConnectTimeoutSeconds, timeoutSeconds)}`,
    `-o ServerAliveInterval=${sshAliveIntervalSeconds} -o ServerAliveCountMax=${sshAliveCountMax}`,
  ].join(' ');
}

/** What one update depends on: equal inputs give the same script. */
export interface UpdateScriptInputs {
  readonly timeoutSeconds: number;
  /**
   * The most the repository and the new tree may take, KiB.
   * @default - no limit
   */
  readonly maxTreeKib?: number;
  readonly protocol: GitProtocol;
  readonly repository: string;
  /**
   * The branch or tag followed.
   * @default - the default branch (or the pinned commit)
   */
  readonly ref?: string;
  /**
   * The pinned commit's full id.
   * @default - none: a ref is followed
   */
  readonly commit?: string;
  readonly depth: number;
  /**
   * The served directory inside the repository.
   * @default - the whole tree
   */
  readonly subPath?: string;
  readonly shell: string;
  /**
   * The mounted credentials of a private repository.
   * @default - none
   */
  readonly creds?: GitCredentialFiles;
  readonly keepSymlinks: boolean;
  readonly submodules: GitSubmodules;
  /**
   * The CA bundle that replaces the image's for the repository's server.
   * @default - the image's CA bundle
   */
  readonly caBundlePath?: string;
  readonly markAfterUpdate: boolean;
}

// Fails an update whose repository and new tree take more than maxTreeKib, before it is served.
function treeSizeCheck(maxTreeKib: number | undefined, wanted: string): ShellCode {
  if (maxTreeKib === undefined) return ShellCode.trusted('');
  return sh`
size=$(du -skc "$repo" "$new" | tail -n 1)
size=\${size%%[!0-9]*}
if [ "$size" -gt ${maxTreeKib} ]; then
  printf 'git-site: %s takes %s KiB with the repository, more than maxTreeSize (%s KiB): not served\\n' ${wanted} "$size" ${maxTreeKib} >&2
  rm -rf "$new"
  exit 1
fi`;
}

/**
 * Whether git's cone-mode sparse checkout can name `subPath`: its pattern file is read line
 * by line with trailing blanks dropped, so a directory with a control character or a
 * trailing blank in a segment is checked out in full instead.
 */
function sparseCheckoutNames(subPath: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u001f\u007f]/.test(subPath) && !subPath.split('/').some((segment) => /[ \t]$/.test(segment));
}

// What the remote serves now ($remote, the ls-remote answer) and the ref to fetch ($src).
function lookUpRemote(repository: string, ref: string | undefined, commit: string | undefined, wanted: string): ShellCode {
  if (commit !== undefined)
    return sh`remote=${commit}
src=${commit}`;
  if (ref === undefined) {
    return sh`remote=$(net_git ls-remote ls-remote -- ${repository} HEAD)
if [ -z "$remote" ]; then
  printf 'git-site: %s has no %s\\n' ${repository} ${wanted} >&2
  exit 1
fi
src=HEAD`;
  }
  // An abbreviated commit id is a valid branch name; say what was probably meant.
  const hint = /^[0-9a-fA-F]{4,39}$/.test(ref)
    ? sh`printf 'git-site: %s has no %s (a commit is pinned by its full id: 40 hex digits, or 64)\\n' ${repository} ${wanted} >&2`
    : sh`printf 'git-site: %s has no %s\\n' ${repository} ${wanted} >&2`;
  const branch = `refs/heads/${ref}`;
  // A branch wins over a tag of the same name, as with `git clone --branch`.
  return sh`remote=$(net_git ls-remote ls-remote -- ${repository} ${branch} ${`refs/tags/${ref}`})
if [ -z "$remote" ]; then
  ${hint}
  exit 1
fi
src=${`refs/tags/${ref}`}
case "$remote
" in
*"	"${branch}"
"*) src=${branch} ;;
esac`;
}
