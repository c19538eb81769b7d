import { Duration, Size } from 'cdk8s';
import { PropContext, PropErrorCode } from '../core/errors';
import { MAX_INT32 } from '../core/limits';
import { checkAbsolutePath, checkCommand, checkIntegerRange, checkWholeSeconds } from '../core/prop-checks';
import { sharedFrozen } from '../core/script-cache';
import { sh, shellQuote, ShellCode, ShellScript } from '../core/shell';
import {
  checkCaBundleTransport,
  checkCredentialsTransport,
  checkGitRef,
  checkGitRepository,
  checkRepoSubPath,
  gitCommitId,
  GitProtocol,
  GitRepositoryCheckOptions,
  httpsServerUrl,
} from './git-rules';

/** Files (inside the git container) holding the credentials of a private repository. */
export type GitCredentialFiles =
  | {
      /** Authenticate over ssh with a private key; the host key must be in `knownHostsPath`. */
      readonly kind: 'ssh';
      /** The private key (any format OpenSSH reads). */
      readonly privateKeyPath: string;
      /** `known_hosts` lines for the git host: strict host key checking stays on. */
      readonly knownHostsPath: string;
    }
  | {
      /** Authenticate over https with a user name and a password or access token. */
      readonly kind: 'https';
      /** The user name (for an access token, whatever the host expects, e.g. `x-access-token`, `oauth2`). */
      readonly usernamePath: string;
      /** The password or access token. */
      readonly passwordPath: string;
    };

/**
 * Which submodules a {@link GitCloneScript} clones: none, the repository's own, or nested
 * ones too (git-sync's `--submodules`).
 */
export type GitSubmodules = 'off' | 'shallow' | 'recursive';

const SUBMODULES: readonly GitSubmodules[] = ['off', 'shallow', 'recursive'];

/** Properties of a {@link GitCloneScript}. */
export interface GitCloneScriptProps extends GitRepositoryCheckOptions {
  /** The repository: `https://host/path`, `ssh://[user@]host[:port]/path` or `[user@]host:path`. */
  readonly repository: string;
  /**
   * The branch, tag or full commit id to serve (as git-sync's `--ref`). A commit id (40
   * hex digits, or 64 in a SHA-256 repository) pins exactly that commit: it is fetched by
   * its id (`git fetch --depth=<depth> <url> <id>`), which the server must allow. GitHub,
   * GitLab, Gitea and any git server speaking protocol v2 do; a server limited to protocol
   * v0 (e.g. `git http-backend` behind a web server that does not pass the `Git-Protocol`
   * header) needs `uploadpack.allowReachableSHA1InWant=true`. An abbreviated id is read
   * as a branch or tag name. A pinned commit has nothing to follow: no sync loop.
   * @default - the remote's default branch (its HEAD)
   */
  readonly ref?: string;
  /**
   * How many commits of history to fetch: 1 fetches just the served tree.
   * @default 1
   */
  readonly depth?: number;
  /**
   * The directory of the repository to serve, relative to its root.
   * @default - the whole repository
   */
  readonly subPath?: string;
  /**
   * Where the credentials of a private repository are mounted.
   * @default - none: a public repository
   */
  readonly credentialFiles?: GitCredentialFiles;
  /**
   * Clone the repository's submodules: `'shallow'` the repository's own, `'recursive'`
   * theirs too, each at the commit the repository records and at `depth`. They are
   * fetched with the same credentials (an https token only from the repository's own
   * server), under the same transport rule (`GIT_ALLOW_PROTOCOL`: a submodule URL of
   * another transport, `file://` or `ext::` fails the update), and their git metadata
   * stays out of the served tree too.
   * @default 'off': a site is what its repository holds, and every submodule is one more
   *   repository, possibly on another server, that the site would silently depend on
   */
  readonly submodules?: GitSubmodules;
  /**
   * A PEM file of CA certificates (inside the git container) that the https server's
   * certificate is checked against instead of the image's CA bundle, for the repository's
   * server only (`http.<https://host[:port]/>.sslCAInfo`). Verification is never turned off.
   * @default - the image's CA bundle
   */
  readonly caBundlePath?: string;
  /**
   * A command (exec form) the sync loop runs after it publishes a tree, once per tree, e.g.
   * to purge a cache. It runs in the volume with `GIT_SITE_COMMIT`, `GIT_SITE_REF` (`HEAD`
   * for the default branch), `GIT_SITE_REPOSITORY` and `GIT_SITE_DIR` (the served tree's
   * absolute path) in its environment, under `timeout` ({@link afterUpdateTimeout}). A
   * failure is logged and retried at the next round until it succeeds or a newer tree is
   * published; the pending run is a file in the snapshot on the volume, so a restarted
   * sync container retries it too. It never stops syncing or serving. For the first tree
   * the init script only marks the run pending; the loop's first round runs it.
   * @default - none
   */
  readonly afterUpdateCommand?: readonly string[];
  /**
   * How long {@link afterUpdateCommand} may run (whole seconds): then it gets SIGTERM, and
   * SIGKILL 5 seconds later, and counts as failed.
   * @default Duration.minutes(1)
   */
  readonly afterUpdateTimeout?: Duration;
  /**
   * Check out symbolic links of the repository as links. By default they become small
   * text files holding the link target, so a repository cannot make the web server
   * serve files outside the clone (httpd's stock config follows symlinks).
   * @default false
   */
  readonly keepSymlinks?: boolean;
  /**
   * The time limit of each network step of an update (`ls-remote`, `clone`, `fetch`, the
   * submodule update), whole seconds: then git gets SIGTERM (SIGKILL 5 s later), the step is
   * logged as timed out with the remote, and the update fails (the init container exits 1;
   * the sync sidecar keeps serving the previous tree and tries again next interval). Over
   * https, a transfer slower than 1 KiB/s for {@link GIT_NETWORK_LIMITS}`.lowSpeedSeconds`
   * (or this limit, if shorter) also aborts; over ssh, a server that stops answering is
   * dropped after 4 unanswered keep-alives 15 s apart.
   * @default Duration.minutes(5)
   */
  readonly networkTimeout?: Duration;
  /**
   * The most the repository and one checked-out tree may take on disk together: a larger
   * update fails after its checkout, its tree is removed, and the previous tree stays served.
   * @default - no limit
   */
  readonly maxTreeSize?: Size;
  /**
   * Absolute path of the shell that runs the scripts; it must exist in the image.
   * @default '/bin/sh'
   */
  readonly shell?: string;
}

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

/**
 * The scripts that publish a branch, tag or commit of a git repository as a directory tree,
 * for an init container (one update) and a sync sidecar (an update every interval).
 *
 * They run in the directory to fill (the container's working directory, a volume) and
 * never fail on what else is there (`lost+found`, an earlier clone). The directory holds
 * one bare, shallow repository (`.git-site-repository/`); each update fetches only the new
 * commit's objects into it (`git fetch --depth`, as git-sync does), checks the commit out
 * into a fresh snapshot directory `.git-site.XXXXXX/tree` (`git worktree add`; with
 * `subPath`, a cone-mode sparse checkout of a partial clone), checks the served sub-path
 * exists, then atomically replaces the symlink `site` with one to the new tree (`mv -T` of
 * a symlink is a `rename`). A run that dies half way leaves the old link in place; the next
 * run removes its leftovers. The tree the link left stays one update longer, for requests
 * still reading it; objects no commit needs any more are pruned after each update, so the
 * volume holds one repository and at most two trees. A repository that fails an update
 * and then `git fsck` (a run killed mid-write) is removed and cloned afresh, logged. An
 * update is skipped when `git ls-remote` shows the ref unchanged (for a pinned commit: when
 * that commit is served), so a restarted init container or a quiet sync round fetches
 * nothing.
 *
 * Git state stays out of the served tree: the tree's `.git` link file is removed after
 * the checkout. Every value reaches git as one quoted word, after `--` where git takes one;
 * `GIT_ALLOW_PROTOCOL` limits git, submodules included, to the URL's
 * transport.
 */
export class GitCloneScript {
  /** The transport git may use. */
  public readonly protocol: GitProtocol;
  /**
   * The pinned commit, when `ref` is a full commit id (lower-cased).
   * @default - none: a branch, a tag or the default branch is followed
   */
  public readonly commit?: string;
  /** One update: the init container's script. */
  public readonly initScript: ShellScript;
  private readonly shell: string;
  private readonly ref?: string;
  private readonly repository: string;
  private readonly afterUpdate?: { readonly command: readonly string[]; readonly timeoutSeconds: number };

  /**
   * Checks the props and builds the scripts (or reuses them: equal props give the same,
   * frozen, {@link initScript}).
   * @param props what to clone and how
   * @param ctx where errors in `props` are reported; constructs pass theirs, so errors
   *   name the construct the user wrote
   */
  public constructor(props: GitCloneScriptProps, ctx: PropContext = PropContext.named('GitCloneScript')) {
    this.protocol = checkGitRepository(ctx, 'repository', props.repository, props);
    this.repository = props.repository;
    this.commit = props.ref === undefined ? undefined : gitCommitId(props.ref);
    const ref = props.ref === undefined || this.commit !== undefined ? undefined : checkGitRef(ctx, 'ref', props.ref);
    this.ref = this.commit ?? ref;
    const depth = checkIntegerRange(ctx, 'depth', props.depth ?? 1, 1, MAX_INT32, 'a clone depth');
    const subPath = props.subPath === undefined ? undefined : checkRepoSubPath(ctx, 'subPath', props.subPath);
    this.shell = checkAbsolutePath(ctx, 'shell', props.shell ?? '/bin/sh');
    const submodules = props.submodules ?? 'off';
    if (!SUBMODULES.includes(submodules)) {
      throw ctx.error('CHOICE', 'submodules', submodules, `is not one of ${SUBMODULES.map((s) => `'${s}'`).join(', ')}`);
    }
    const creds = props.credentialFiles;
    if (creds) {
      const paths = creds.kind === 'ssh' ? [creds.privateKeyPath, creds.knownHostsPath] : [creds.usernamePath, creds.passwordPath];
      for (const path of paths) checkPlainPath(ctx, 'credentialFiles', path, 'CREDENTIALS');
      checkCredentialsTransport(ctx, 'credentialFiles', creds.kind, this.protocol, props.repository);
    }
    const caBundlePath =
      props.caBundlePath === undefined ? undefined : checkPlainPath(ctx, 'caBundlePath', props.caBundlePath, 'CA_BUNDLE');
    if (caBundlePath !== undefined) checkCaBundleTransport(ctx, 'caBundlePath', caBundlePath, this.protocol, props.repository);
    if (props.afterUpdateCommand !== undefined) {
      this.afterUpdate = {
        command: [...checkCommand(ctx, 'afterUpdateCommand', props.afterUpdateCommand)],
        timeoutSeconds: checkWholeSeconds(ctx, 'afterUpdateTimeout', props.afterUpdateTimeout ?? Duration.minutes(1), 1),
      };
    }

    const keepSymlinks = props.keepSymlinks ?? false;
    const networkTimeout = props.networkTimeout ?? Duration.seconds(GIT_NETWORK_LIMITS.defaultTimeoutSeconds);
    const timeoutSeconds = checkWholeSeconds(ctx, 'networkTimeout', networkTimeout, 1, MAX_INT32);
    const maxTreeKib =
      props.maxTreeSize === undefined
        ? undefined
        : checkIntegerRange(ctx, 'maxTreeSize', props.maxTreeSize.toKibibytes(), 1, MAX_INT32, 'a size in KiB');
    const inputs: InitScriptInputs = {
      timeoutSeconds,
      maxTreeKib,
      protocol: this.protocol,
      repository: props.repository,
      ref,
      commit: this.commit,
      depth,
      subPath,
      shell: this.shell,
      creds,
      keepSymlinks,
      submodules,
      caBundlePath,
      markAfterUpdate: this.afterUpdate !== undefined,
    };
    this.initScript = sharedFrozen(['git-once', inputs], () => buildInitScript(inputs));
  }

  /**
   * An update every `intervalSeconds`, forever: the sync sidecar's command. The first
   * update runs at once. A failed update is logged and retried next round while the
   * current tree stays served. SIGTERM stops the loop at once, also while it sleeps.
   * After each round, a pending `afterUpdateCommand` of the served tree runs.
   * @param intervalSeconds the pause between updates
   * @param ctx where an error is reported; constructs pass theirs
   * @param prop the prop an error names
   */
  public syncScript(
    intervalSeconds: number,
    ctx: PropContext = PropContext.named('GitCloneScript.syncScript'),
    prop = 'intervalSeconds',
  ): ShellScript {
    checkIntegerRange(ctx, prop, intervalSeconds, 1, MAX_INT32, 'a number of seconds', 'WHOLE_SECONDS');
    if (this.commit !== undefined) {
      throw ctx.error(
        'PROP_CONFLICT',
        prop,
        intervalSeconds,
        `has nothing to follow: ref pins the commit ${this.commit}, which never moves (follow a branch or tag to keep the site current, or leave ${prop} unset)`,
      );
    }
    const { iterationsEnv, linkName, afterUpdatePending } = GIT_CLONE_LAYOUT;
    // After each round: the hook of the served tree, while its pending file is there.
    const afterUpdate = this.afterUpdate
      ? sh`after_update() {
  [ -L ${linkName} ] || return 0
  served=$(readlink ${linkName})
  pending="\${served%%/*}"/${afterUpdatePending}
  [ -f "$pending" ] || return 0
  commit=$(cat "$pending")
  status=0
  GIT_SITE_COMMIT="$commit" GIT_SITE_REF=${this.ref ?? 'HEAD'} GIT_SITE_REPOSITORY=${this.repository} GIT_SITE_DIR="$PWD/$served" \\
    timeout -k 5 ${this.afterUpdate.timeoutSeconds} ${this.afterUpdate.command} || status=$?
  if [ "$status" = 0 ]; then
    rm -f "$pending"
    printf 'git-site: afterUpdateCommand succeeded for %s\\n' "$commit"
  else
    printf 'git-site: afterUpdateCommand failed with exit status %s for %s, retrying next round\\n' "$status" "$commit" >&2
  fi
}`
      : undefined;
    // Each update runs in its own shell, so its `set -e` holds (a shell ignores `set -e`
    // inside a command whose status it tests).
    return new ShellScript({ shell: this.shell }).add(
      sh`trap 'exit 0' TERM INT
once=${this.initScript.render()}${
        afterUpdate
          ? sh`
${afterUpdate}`
          : ShellCode.trusted('')
      }
round=0
while :; do
  if ! ${this.shell} -c "$once"; then
    printf 'git-site: update failed, still serving the previous tree\\n' >&2
  fi${ShellCode.trusted(afterUpdate ? '\n  after_update' : '')}
  round=$((round + 1))
  if [ "$round" = "\${${ShellCode.trusted(iterationsEnv)}:-}" ]; then exit 0; fi
  sleep ${intervalSeconds} &
  wait $!
done`,
    );
  }
}

// ssh reads the key and known_hosts paths from its option syntax (whitespace separates,
// `%` and `~` expand), and git config values are kept as plain: '/' and a few characters.
function checkPlainPath(ctx: PropContext, prop: string, path: string, code: PropErrorCode): string {
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(path)) {
    throw ctx.error(code, prop, path, "is not a plain absolute path: '/' and letters, digits, '.', '_' or '-' only");
  }
  return path;
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

interface InitScriptInputs {
  readonly timeoutSeconds: number;
  readonly maxTreeKib?: number;
  readonly protocol: GitProtocol;
  readonly repository: string;
  readonly ref?: string;
  readonly commit?: string;
  readonly depth: number;
  readonly subPath?: string;
  readonly shell: string;
  readonly creds?: GitCredentialFiles;
  readonly keepSymlinks: boolean;
  readonly submodules: GitSubmodules;
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
// The init container's script, one update; built once per distinct input (see the constructor).
function buildInitScript(inputs: InitScriptInputs): ShellScript {
  const { protocol, repository, ref, commit, depth, subPath, shell, creds, keepSymlinks, submodules, caBundlePath, timeoutSeconds } =
    inputs;
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
  const { linkName, snapshotPrefix, afterUpdatePending, repositoryDir } = GIT_CLONE_LAYOUT;
  // In the repository: the last update ended complete (pruned, no locks held).
  const cleanMark = 'git-site-clean';
  const wanted = commit !== undefined ? `commit ${commit}` : ref === undefined ? 'the default branch' : `branch or tag ${ref}`;
  const served = subPath === undefined ? ShellCode.trusted('') : sh`/${subPath}`;
  // With a sub-path, only its directory is checked out (cone mode: the files at the root
  // too), and only the blobs the checkout needs are fetched (a partial clone; a server
  // without filter support sends everything, and git says so).
  const sparse = subPath !== undefined && sparseCheckoutNames(subPath);
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
  // With a sub-path, the tree is made empty, told its cone, then checked out; a partial
  // clone fetches the checkout's blobs during the checkout: a network step.
  const checkout = sparse
    ? sh`site_git --git-dir="$repo" worktree add --quiet --detach --no-checkout "$new/tree" "$commit" || return
  site_git -C "$new/tree" sparse-checkout set --cone --skip-checks --end-of-options ${subPath} || return
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
  // Git state stays out of the served tree: the worktree's `.git` link file goes (and the
  // submodules' ones); `worktree prune` then forgets the tree.
  const dropGitLinks =
    submodules === 'off' ? ShellCode.trusted('rm -f "$new/tree/.git"') : ShellCode.trusted('find "$new/tree" -name .git -exec rm -f {} +');
  const fetchFailed =
    commit !== undefined
      ? sh`
    printf 'git-site: could not fetch commit %s from %s: the repository has no such commit, or its server does not allow fetching a commit by its id (it needs git protocol v2, or uploadpack.allowReachableSHA1InWant=true)\\n' ${commit} ${repository} >&2`
      : ShellCode.trusted('');
  // A partial clone keeps every object it fetched (git never prunes promisor objects): when
  // the repository has grown to twice what the served commit needs, it is fetched afresh.
  const compact = sparse
    ? sh`
used=$(du -sk "$repo")
used=\${used%%[!0-9]*}
needed=$(site_git --git-dir="$repo" rev-list --objects --missing=allow-promisor --disk-usage refs/git-site/fetched)
if [ "$used" -gt $((needed / 512 + 1024)) ]; then
  printf 'git-site: the repository takes %s KiB, the served commit %s KiB of it: it is fetched afresh at the next update\\n' "$used" $((needed / 1024))
  rm -rf "$repo"
fi`
    : ShellCode.trusted('');
  const fetchInto = (refspec: string) =>
    sh`net_git fetch --git-dir="$repo" fetch --quiet --no-tags --depth=${depth}${ShellCode.trusted(sparse ? ' --filter=blob:none' : '')} origin ${ShellCode.trusted(refspec)}`;
  // A ref is fetched by the id ls-remote gave for it: the server need not list its refs
  // again (protocol v2 skips that step for ids). A server that sends only what it
  // advertises (protocol v0) refuses an id: it is asked for the ref by its name.
  const fetchWanted = sh`
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
  const markAfterUpdate = inputs.markAfterUpdate
    ? sh`
printf '%s\\n' "$commit" > "$new"/${afterUpdatePending}`
    : ShellCode.trusted('');

  return new ShellScript({ shell }).add(
    ShellCode.trusted('umask 022'),
    sh`export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 GIT_ALLOW_PROTOCOL=${protocol}`,
    ...(creds?.kind === 'ssh'
      ? [sh`export GIT_SSH_COMMAND=${sshCommand(creds.privateKeyPath, creds.knownHostsPath, timeoutSeconds)}`]
      : []),
    sh`site_git() { git ${gitConfig} "$@"; }
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
repo=${repositoryDir}`,
    // Keep only the snapshot the link points to: this drops a half-written tree of an
    // interrupted run and the tree the previous update replaced (kept one interval for
    // requests still reading it).
    sh`current=
if [ -L ${linkName} ]; then current=$(readlink ${linkName}); fi
keep=\${current%%/*}
for old in ${ShellCode.trusted(snapshotPrefix)}*; do
  if { [ -e "$old" ] || [ -L "$old" ]; } && [ "$old" != "$keep" ]; then rm -rf "$old"; fi
done
${lookUpRemote(repository, ref, commit, wanted)}
if [ -n "$keep" ] && [ -f "$keep/remote" ] && [ "$remote" = "$(cat "$keep/remote")" ]; then
  printf 'git-site: %s is up to date\\n' ${wanted}
  exit 0
fi
${commit === undefined ? remoteObjectId : ShellCode.trusted('')}new=$(mktemp -d ${snapshotPrefix + 'XXXXXX'})
chmod 755 "$new"
# One update in the one repository: fetch the wanted commit (only what is new), check it
# out into a new tree. Only this script writes the repository, one run at a time: one the
# last update left complete (its mark) is used as it is; in any other, a killed run may
# have left lock files and unpruned objects.${commit === undefined ? fetchWanted : ShellCode.trusted('')}
fresh=
check_out() {
  if [ -f "$repo"/${cleanMark} ]; then
    rm -f "$repo"/${cleanMark}
  elif [ "$(site_git --git-dir="$repo" rev-parse --show-object-format 2>/dev/null)" != ${objectFormat} ]; then
    if [ -e "$repo" ]; then printf 'git-site: the repository in the volume is damaged (no %s repository): cloning afresh\\n' ${objectFormat} >&2; fi
    rm -rf "$repo"
    site_git init --quiet --bare --template= --object-format=${objectFormat} "$repo" || return${remoteConfig}
    fresh=1
  else
    rm -f "$repo"/*.lock "$repo"/refs/git-site/*.lock
    site_git --git-dir="$repo" worktree prune && site_git --git-dir="$repo" prune --expire=now || return
  fi
  if ! ${commit === undefined ? ShellCode.trusted('fetch_wanted') : fetchInto('"+$src:refs/git-site/fetched"')}; then${fetchFailed}
    return 1
  fi
  commit=$(site_git --git-dir="$repo" rev-parse --verify --quiet 'refs/git-site/fetched^{commit}') || return
  ${checkout}${cloneSubmodules}
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
${dropGitLinks}${treeSizeCheck(inputs.maxTreeKib, wanted)}
target="$new/tree"${served}
if [ ! -d "$target" ]; then
  printf 'git-site: %s is not a directory in %s\\n' ${subPath ?? ''} ${wanted} >&2
  exit 1
fi
printf '%s\\n' "$remote" > "$new/remote"${markAfterUpdate}
ln -s "$target" "$new.link"
mv -f -T "$new.link" ${linkName}
printf 'git-site: serving %s\\n' "$commit"
# The replaced tree stays until the next update; the objects only it needed go now. A
# repository left unpruned has no mark: the next update repairs it.
if ! { site_git --git-dir="$repo" worktree prune && site_git --git-dir="$repo" prune --expire=now; }; then
  printf 'git-site: could not prune the repository: the next update repairs it\\n' >&2
  exit 0
fi${compact}
if [ -d "$repo" ]; then : > "$repo"/${cleanMark}; fi`,
  );
}
