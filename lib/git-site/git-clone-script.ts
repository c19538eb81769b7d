import { PropContext } from '../core/errors';
import { MAX_INT32 } from '../core/limits';
import { checkAbsolutePath, checkIntegerRange } from '../core/prop-checks';
import { sharedFrozen } from '../core/script-cache';
import { sh, shellQuote, ShellCode, ShellScript } from '../core/shell';
import {
  checkCredentialsTransport,
  checkGitRef,
  checkGitRepository,
  checkRepoSubPath,
  GitProtocol,
  GitRepositoryCheckOptions,
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

/** Properties of a {@link GitCloneScript}. */
export interface GitCloneScriptProps extends GitRepositoryCheckOptions {
  /** The repository: `https://host/path`, `ssh://[user@]host[:port]/path` or `[user@]host:path`. */
  readonly repository: string;
  /**
   * The branch or tag to serve.
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
   * Check out symbolic links of the repository as links. By default they become small
   * text files holding the link target, so a repository cannot make the web server
   * serve files outside the clone (httpd's stock config follows symlinks).
   * @default false
   */
  readonly keepSymlinks?: boolean;
  /**
   * Absolute path of the shell that runs the scripts; it must exist in the image.
   * @default '/bin/sh'
   */
  readonly shell?: string;
}

/** Facts about the directory layout a {@link GitCloneScript} writes. */
export const GIT_CLONE_LAYOUT = {
  /**
   * The symbolic link, in the working directory, to the served tree. Point the web
   * server's document root at it; each update replaces it atomically.
   */
  linkName: 'site',
  /** Prefix of the snapshot directories (`<prefix>XXXXXX/{git,tree,remote}`) next to the link. */
  snapshotPrefix: '.git-site.',
  /** Set to N, the sync loop stops after N rounds (for tests). */
  iterationsEnv: 'GIT_SITE_SYNC_ITERATIONS',
} as const;

/**
 * The scripts that publish a branch or tag of a git repository as a directory tree,
 * for an init container (one update) and a sync sidecar (an update every interval).
 *
 * They run in the directory to fill (the container's working directory, a volume) and
 * never fail on what else is there (`lost+found`, an earlier clone): each update clones
 * into a fresh snapshot directory `.git-site.XXXXXX/`, checks the served sub-path exists,
 * then atomically replaces the symlink `site` with one to the new tree (`mv -T` of a
 * symlink is a `rename`). A run that dies half way leaves the old link in place; the next
 * run removes its leftovers. An update is skipped when `git ls-remote` shows the ref
 * unchanged, so a restarted init container or a quiet sync round fetches nothing.
 *
 * Git state stays out of the served tree: the git directory is `<snapshot>/git`, the
 * work tree `<snapshot>/tree` (without its `.git` link file). The clone is shallow
 * (`--depth`) and single-branch. Every value reaches git as one quoted word, after `--`
 * where git takes one; `GIT_ALLOW_PROTOCOL` limits git to the URL's transport.
 */
export class GitCloneScript {
  /** The transport git may use. */
  public readonly protocol: GitProtocol;
  /** One update: the init container's script. */
  public readonly initScript: ShellScript;
  private readonly shell: string;

  /**
   * Checks the props and builds the scripts (or reuses them: equal props give the same,
   * frozen, {@link initScript}).
   * @param props what to clone and how
   * @param ctx where errors in `props` are reported; constructs pass theirs, so errors
   *   name the construct the user wrote
   */
  public constructor(props: GitCloneScriptProps, ctx: PropContext = PropContext.named('GitCloneScript')) {
    this.protocol = checkGitRepository(ctx, 'repository', props.repository, props);
    const ref = props.ref === undefined ? undefined : checkGitRef(ctx, 'ref', props.ref);
    const depth = checkIntegerRange(ctx, 'depth', props.depth ?? 1, 1, MAX_INT32, 'a clone depth');
    const subPath = props.subPath === undefined ? undefined : checkRepoSubPath(ctx, 'subPath', props.subPath);
    this.shell = checkAbsolutePath(ctx, 'shell', props.shell ?? '/bin/sh');
    const creds = props.credentialFiles;
    if (creds) {
      const paths = creds.kind === 'ssh' ? [creds.privateKeyPath, creds.knownHostsPath] : [creds.usernamePath, creds.passwordPath];
      for (const path of paths) {
        // ssh reads the key and known_hosts paths from its option syntax (whitespace
        // separates, `%` and `~` expand): keep them plain.
        if (!/^(\/[A-Za-z0-9._-]+)+$/.test(path)) {
          throw ctx.error(
            'CREDENTIALS',
            'credentialFiles',
            path,
            "is not a plain absolute path: '/' and letters, digits, '.', '_' or '-' only",
          );
        }
      }
      checkCredentialsTransport(ctx, 'credentialFiles', creds.kind, this.protocol, props.repository);
    }

    const keepSymlinks = props.keepSymlinks ?? false;
    const inputs = ['git-once', this.protocol, props.repository, ref, depth, subPath, this.shell, creds, keepSymlinks];
    this.initScript = sharedFrozen(inputs, () =>
      buildInitScript({
        protocol: this.protocol,
        repository: props.repository,
        ref,
        depth,
        subPath,
        shell: this.shell,
        creds,
        keepSymlinks,
      }),
    );
  }

  /**
   * An update every `intervalSeconds`, forever: the sync sidecar's command. The first
   * update runs at once. A failed update is logged and retried next round while the
   * current tree stays served. SIGTERM stops the loop at once, also while it sleeps.
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
    // Each update runs in its own shell, so its `set -e` holds (a shell ignores `set -e`
    // inside a command whose status it tests).
    return new ShellScript({ shell: this.shell }).add(
      sh`trap 'exit 0' TERM INT
once=${this.initScript.render()}
round=0
while :; do
  if ! ${this.shell} -c "$once"; then
    printf 'git-site: update failed, still serving the previous tree\\n' >&2
  fi
  round=$((round + 1))
  if [ "$round" = "\${${ShellCode.trusted(GIT_CLONE_LAYOUT.iterationsEnv)}:-}" ]; then exit 0; fi
  sleep ${intervalSeconds} &
  wait $!
done`,
    );
  }
}

// ssh as git runs it: no user or system ssh config, only the mounted key, the host key
// checked against the mounted known_hosts, no prompts. git runs this through sh; the
// paths are plain (checked), so they need no quoting at either level.
function sshCommand(privateKeyPath: string, knownHostsPath: string): string {
  return [
    'ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes',
    `-o IdentityFile=${privateKeyPath}`,
    '-o StrictHostKeyChecking=yes',
    `-o UserKnownHostsFile=${knownHostsPath}`,
    '-o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=30',
  ].join(' ');
}

interface InitScriptInputs {
  readonly protocol: GitProtocol;
  readonly repository: string;
  readonly ref?: string;
  readonly depth: number;
  readonly subPath?: string;
  readonly shell: string;
  readonly creds?: GitCredentialFiles;
  readonly keepSymlinks: boolean;
}

// The init container's script, one update; built once per distinct input (see the constructor).
function buildInitScript({ protocol, repository, ref, depth, subPath, shell, creds, keepSymlinks }: InitScriptInputs): ShellScript {
  const gitConfig = ['-c', 'advice.detachedHead=false', '-c', `core.symlinks=${keepSymlinks ? 'true' : 'false'}`];
  if (creds?.kind === 'https') {
    // git runs `!` helpers with sh; the helper prints the mounted files, so the token is
    // never in the manifest, the URL or any command line.
    const helper = `!f() { test "$1" = get || return 0; printf 'username=%s\\npassword=%s\\n' "$(cat ${shellQuote(creds.usernamePath)})" "$(cat ${shellQuote(creds.passwordPath)})"; }; f`;
    gitConfig.push('-c', `credential.helper=${helper}`);
  }
  const { linkName, snapshotPrefix } = GIT_CLONE_LAYOUT;
  const patterns = ref === undefined ? ['HEAD'] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
  const wanted = ref === undefined ? 'the default branch' : `branch or tag ${ref}`;
  const cloneArgs = ['--quiet', '--single-branch', `--depth=${depth}`, ...(ref === undefined ? [] : [`--branch=${ref}`])];
  const served = subPath === undefined ? ShellCode.trusted('') : sh`/${subPath}`;

  return new ShellScript({ shell }).add(
    ShellCode.trusted('umask 022'),
    sh`export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 GIT_ALLOW_PROTOCOL=${protocol}`,
    ...(creds?.kind === 'ssh' ? [sh`export GIT_SSH_COMMAND=${sshCommand(creds.privateKeyPath, creds.knownHostsPath)}`] : []),
    sh`site_git() { git ${gitConfig} "$@"; }`,
    // Keep only the snapshot the link points to: this drops a half-written clone of an
    // interrupted run and the tree the previous update replaced (kept one interval for
    // requests still reading it).
    sh`current=
if [ -L ${linkName} ]; then current=$(readlink ${linkName}); fi
keep=\${current%%/*}
for old in ${ShellCode.trusted(snapshotPrefix)}*; do
  if { [ -e "$old" ] || [ -L "$old" ]; } && [ "$old" != "$keep" ]; then rm -rf "$old"; fi
done
remote=$(site_git ls-remote -- ${repository} ${patterns})
if [ -z "$remote" ]; then
  printf 'git-site: %s has no %s\\n' ${repository} ${wanted} >&2
  exit 1
fi
if [ -n "$keep" ] && [ -f "$keep/remote" ] && [ "$remote" = "$(cat "$keep/remote")" ]; then
  printf 'git-site: %s is up to date\\n' ${wanted}
  exit 0
fi
new=$(mktemp -d ${snapshotPrefix + 'XXXXXX'})
chmod 755 "$new"
site_git clone ${cloneArgs} --separate-git-dir="$new/git" -- ${repository} "$new/tree"
rm -f "$new/tree/.git"
target="$new/tree"${served}
if [ ! -d "$target" ]; then
  printf 'git-site: %s is not a directory in %s\\n' ${subPath ?? ''} ${wanted} >&2
  exit 1
fi
printf '%s\\n' "$remote" > "$new/remote"
ln -s "$target" "$new.link"
mv -f -T "$new.link" ${linkName}
printf 'git-site: serving %s\\n' "$(site_git --git-dir="$new/git" rev-parse HEAD)"`,
  );
}
