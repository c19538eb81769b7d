import { Duration, Size } from 'cdk8s';
import { PropContext, PropErrorCode } from '../core/errors';
import { MAX_INT32 } from '../core/limits';
import { checkAbsolutePath, checkCommand, checkIntegerRange, checkWholeSeconds } from '../core/prop-checks';
import { sharedFrozen } from '../core/script-cache';
import { sh, ShellCode, ShellScript } from '../core/shell';
import {
  checkCaBundleTransport,
  checkCredentialsTransport,
  checkGitRef,
  checkGitRepository,
  checkRepoSubPath,
  gitCommitId,
  GitProtocol,
  GitRepositoryCheckOptions,
} from './git-rules';
import { buildUpdateScript, GIT_CLONE_LAYOUT, GIT_NETWORK_LIMITS, UpdateScriptInputs } from './git-update-script';

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
   * The time limit of each network step of an update (`ls-remote`, `fetch`, a sub-path's
   * checkout from a partial clone, the submodule update), whole seconds: then git gets SIGTERM (SIGKILL 5 s later), the step is
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
 * volume holds one repository and at most two trees. A repository an update fails in (not
 * by a time limit: a run killed mid-write, a full disk) is removed and cloned afresh, logged. An
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
    const inputs: UpdateScriptInputs = {
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
    this.initScript = sharedFrozen(['git-once', inputs], () => buildUpdateScript(inputs));
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
