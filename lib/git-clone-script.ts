import { sharedFrozen } from './shared-scripts';
import { sh, shellQuote, ShellCode, ShellScript } from './shell';
import { checkAbsolutePath, checkIntegerRange, checkText, PropContext } from './validation';

/** The transports a {@link GitCloneScript} may use, from the repository URL. */
export type GitProtocol = 'https' | 'ssh' | 'file';

/** Options for {@link checkGitRepository}. */
export interface GitRepositoryCheckOptions {
  /**
   * Accept `file:///absolute/path` URLs: a repository on the container's own filesystem.
   * For tests and local experiments; a site is cloned over https or ssh.
   * @default false
   */
  readonly allowFileUrl?: boolean;
}

// RFC 3986 host (name, IPv4 or bracketed IPv6) and path characters. The path keeps the
// sub-delims (`!$&'()*+,;=`) a URL may hold; they reach git as one quoted word.
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;
const URL_PATH = /^(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})+$/;
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const URL_FORMS = 'https://host/path, ssh://[user@]host[:port]/path or [user@]host:path';

/**
 * Checks a git repository URL and returns the transport it uses: `https://host/path`,
 * `ssh://[user@]host[:port]/path`, scp-like `[user@]host:path` (ssh), and `file:///path`
 * only when allowed. Plain `http://`, `git://`, other transports (`ext::` runs commands)
 * and local paths are refused, as are credentials in the URL: they would end up in the
 * manifest and in the process list.
 */
export function checkGitRepository(ctx: PropContext, prop: string, url: string, options: GitRepositoryCheckOptions = {}): GitProtocol {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1];
  if (scheme === undefined) {
    const scp = /^(?:([^@/]*)@)?(\[[^\]]*\]|[^:/]*):(.*)$/s.exec(url);
    if (!scp || url.includes('::')) throw ctx.error(prop, url, `is not a git repository URL: use ${URL_FORMS}`);
    const [, user, host, path] = scp;
    checkUrlParts(ctx, prop, url, { user, host, path });
    if (path.startsWith('-')) throw ctx.error(prop, url, "has a path that starts with '-', which ssh and git could read as an option");
    return 'ssh';
  }
  const rest = url.slice(scheme.length + 3);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  switch (scheme) {
    case 'https':
    case 'ssh': {
      const at = authority.lastIndexOf('@');
      const userinfo = at < 0 ? undefined : authority.slice(0, at);
      const hostPort = authority.slice(at + 1);
      if (userinfo !== undefined && (scheme === 'https' || userinfo.includes(':'))) {
        throw ctx.error(prop, url, 'holds user information: put credentials in a Secret (the credentials prop), never in the URL');
      }
      const port = /^(.*?)(?::([0-9]{1,5}))?$/s.exec(hostPort)!;
      if (port[2] !== undefined && (Number(port[2]) < 1 || Number(port[2]) > 65535)) {
        throw ctx.error(prop, url, 'has a port outside 1 to 65535');
      }
      checkUrlParts(ctx, prop, url, { user: userinfo, host: port[1], path });
      return scheme;
    }
    case 'file':
      if (!options.allowFileUrl) {
        throw ctx.error(
          prop,
          url,
          'is a file:// URL, a path inside the git container: allowed only with allowFileUrl (tests, local experiments)',
        );
      }
      if (authority !== '') throw ctx.error(prop, url, 'is not a local file URL: use file:///absolute/path');
      checkUrlParts(ctx, prop, url, { path });
      return 'file';
    case 'http':
      throw ctx.error(prop, url, 'uses plain http, which anyone on the path can read and alter: use https://');
    default:
      throw ctx.error(prop, url, `uses the transport ${scheme}://, which is not supported: use ${URL_FORMS}`);
  }
}

function checkUrlParts(ctx: PropContext, prop: string, url: string, parts: { user?: string; host?: string; path: string }): void {
  if (parts.user !== undefined && !USER.test(parts.user)) {
    throw ctx.error(prop, url, "has an invalid user name: letters, digits, '.', '_' and '-', not starting with '-'");
  }
  if (parts.host !== undefined && !HOST.test(parts.host)) {
    throw ctx.error(prop, url, "has an invalid host: a DNS name or IP address, not starting with '-'");
  }
  if (parts.path === '' || parts.path === '/') throw ctx.error(prop, url, 'has no repository path');
  if (!URL_PATH.test(parts.path)) {
    throw ctx.error(
      prop,
      url,
      "has characters a URL path cannot hold (spaces, control characters, quotes, backticks, '\\', '{', '}', '|', '^', '<', '>', '[', ']', '#', '?', or '%' not followed by two hex digits): percent-encode them",
    );
  }
}

/**
 * Checks a branch or tag name by the rules of `git check-ref-format --branch`, and
 * refuses what `git clone --branch` cannot take (a full `refs/...` name, `HEAD`).
 */
export function checkGitRef(ctx: PropContext, prop: string, ref: string): string {
  const rule = gitRefRule(ref);
  if (rule) throw ctx.error(prop, ref, `is not a branch or tag name: ${rule}`);
  return ref;
}

function gitRefRule(ref: string): string | undefined {
  if (ref === '') return 'it is empty (leave ref unset for the default branch)';
  if (ref.startsWith('-')) return "it starts with '-', which git would read as an option";
  // eslint-disable-next-line no-control-regex -- control characters are exactly what git forbids here
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) {
    return "it holds a character git forbids in ref names: space, control characters, '~', '^', ':', '?', '*', '[' or '\\'";
  }
  if (ref.includes('..')) return "it contains '..'";
  if (ref.includes('@{')) return "it contains '@{'";
  if (ref === '@') return "it is '@'";
  if (ref === 'HEAD') return 'HEAD names the current commit (leave ref unset for the default branch)';
  if (ref.startsWith('refs/')) return "it is a full ref name: give the branch or tag name without 'refs/heads/' or 'refs/tags/'";
  if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) return "it starts or ends with '/' or contains '//'";
  if (ref.split('/').some((part) => part.startsWith('.'))) return "a '/'-separated part starts with '.'";
  if (ref.split('/').some((part) => part.endsWith('.lock'))) return "a '/'-separated part ends with '.lock'";
  if (ref.endsWith('.')) return "it ends with '.'";
  return undefined;
}

/**
 * Checks a path inside the repository: relative, normalized (no empty, `.` or `..`
 * segments, no leading or trailing `/`). Any other character is allowed: the path only
 * ever reaches the shell as a quoted word.
 */
export function checkRepoSubPath(ctx: PropContext, prop: string, path: string): string {
  checkText(ctx, prop, path);
  if (path === '') throw ctx.error(prop, path, 'is empty: leave it unset to serve the whole repository');
  if (path.startsWith('/')) throw ctx.error(prop, path, 'is not a path inside the repository: it must be relative, without a leading "/"');
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw ctx.error(prop, path, "is not a normalized path: no '.', '..', empty segments or trailing '/'");
  }
  return path;
}

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
  /** One update: the init container's command. */
  public readonly once: ShellScript;
  private readonly shell: string;

  /**
   * Checks the props and builds the scripts (or reuses them: equal props give the same,
   * frozen, {@link once} script).
   * @param props what to clone and how
   * @param ctx where errors in `props` are reported; constructs pass theirs, so errors
   *   name the construct the user wrote
   */
  public constructor(props: GitCloneScriptProps, ctx: PropContext = PropContext.named('GitCloneScript')) {
    this.protocol = checkGitRepository(ctx, 'repository', props.repository, props);
    const ref = props.ref === undefined ? undefined : checkGitRef(ctx, 'ref', props.ref);
    const depth = checkIntegerRange(ctx, 'depth', props.depth ?? 1, 1, 2147483647, 'a clone depth');
    const subPath = props.subPath === undefined ? undefined : checkRepoSubPath(ctx, 'subPath', props.subPath);
    this.shell = checkAbsolutePath(ctx, 'shell', props.shell ?? '/bin/sh');
    const creds = props.credentialFiles;
    if (creds) {
      const paths = creds.kind === 'ssh' ? [creds.privateKeyPath, creds.knownHostsPath] : [creds.usernamePath, creds.passwordPath];
      for (const path of paths) {
        // ssh reads the key and known_hosts paths from its option syntax (whitespace
        // separates, `%` and `~` expand): keep them plain.
        if (!/^(\/[A-Za-z0-9._-]+)+$/.test(path)) {
          throw ctx.error('credentialFiles', path, "is not a plain absolute path: '/' and letters, digits, '.', '_' or '-' only");
        }
      }
      if (this.protocol !== creds.kind) {
        throw ctx.error(
          'credentials',
          creds.kind,
          `credentials need an ${creds.kind} repository URL, not ${JSON.stringify(props.repository)}`,
        );
      }
    }

    const keepSymlinks = props.keepSymlinks ?? false;
    const inputs = ['git-once', this.protocol, props.repository, ref, depth, subPath, this.shell, creds, keepSymlinks];
    this.once = sharedFrozen(inputs, () =>
      buildOnce({ protocol: this.protocol, repository: props.repository, ref, depth, subPath, shell: this.shell, creds, keepSymlinks }),
    );
  }

  /**
   * An update every `intervalSeconds`, forever: the sync sidecar's command. The first
   * update runs at once. A failed update is logged and retried next round while the
   * current tree stays served. SIGTERM stops the loop at once, also while it sleeps.
   */
  public syncLoop(intervalSeconds: number): ShellScript {
    checkIntegerRange(
      PropContext.named('GitCloneScript.syncLoop'),
      'intervalSeconds',
      intervalSeconds,
      1,
      2147483647,
      'a number of seconds',
    );
    // Each update runs in its own shell, so its `set -e` holds (a shell ignores `set -e`
    // inside a command whose status it tests).
    return new ShellScript({ shell: this.shell }).add(
      sh`trap 'exit 0' TERM INT
once=${this.once.render()}
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

interface OnceInputs {
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
function buildOnce({ protocol, repository, ref, depth, subPath, shell, creds, keepSymlinks }: OnceInputs): ShellScript {
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
