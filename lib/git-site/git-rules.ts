import { PropContext } from '../core/errors';
import { checkUnicodeText } from '../core/prop-checks';

// The rules for what the git containers may be asked to clone: URL, ref and path.

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
    if (!scp || url.includes('::')) throw ctx.error('GIT_URL', prop, url, `is not a git repository URL: use ${URL_FORMS}`);
    const [, user, host, path] = scp;
    checkUrlParts(ctx, prop, url, { user, host, path });
    if (path.startsWith('-'))
      throw ctx.error('GIT_URL', prop, url, "has a path that starts with '-', which ssh and git could read as an option");
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
        throw ctx.error(
          'GIT_URL',
          prop,
          url,
          'holds user information: put credentials in a Secret (the credentials prop), never in the URL',
        );
      }
      const port = /^(.*?)(?::([0-9]{1,5}))?$/s.exec(hostPort)!;
      if (port[2] !== undefined && (Number(port[2]) < 1 || Number(port[2]) > 65535)) {
        throw ctx.error('GIT_URL', prop, url, 'has a port outside 1 to 65535');
      }
      checkUrlParts(ctx, prop, url, { user: userinfo, host: port[1], path });
      return scheme;
    }
    case 'file':
      if (!options.allowFileUrl) {
        throw ctx.error(
          'GIT_URL',
          prop,
          url,
          'is a file:// URL, a path inside the git container: allowed only with allowFileUrl (tests, local experiments)',
        );
      }
      if (authority !== '') throw ctx.error('GIT_URL', prop, url, 'is not a local file URL: use file:///absolute/path');
      checkUrlParts(ctx, prop, url, { path });
      return 'file';
    case 'http':
      throw ctx.error('GIT_URL', prop, url, 'uses plain http, which anyone on the path can read and alter: use https://');
    default:
      throw ctx.error('GIT_URL', prop, url, `uses the transport ${scheme}://, which is not supported: use ${URL_FORMS}`);
  }
}

function checkUrlParts(ctx: PropContext, prop: string, url: string, parts: { user?: string; host?: string; path: string }): void {
  if (parts.user !== undefined && !USER.test(parts.user)) {
    throw ctx.error('GIT_URL', prop, url, "has an invalid user name: letters, digits, '.', '_' and '-', not starting with '-'");
  }
  if (parts.host !== undefined && !HOST.test(parts.host)) {
    throw ctx.error('GIT_URL', prop, url, "has an invalid host: a DNS name or IP address, not starting with '-'");
  }
  if (parts.path === '' || parts.path === '/') throw ctx.error('GIT_URL', prop, url, 'has no repository path');
  if (!URL_PATH.test(parts.path)) {
    throw ctx.error(
      'GIT_URL',
      prop,
      url,
      "has characters a URL path cannot hold (spaces, control characters, quotes, backticks, '\\', '{', '}', '|', '^', '<', '>', '[', ']', '#', '?', or '%' not followed by two hex digits): percent-encode them",
    );
  }
}

// A full commit id: 40 hex digits (SHA-1 repositories) or 64 (SHA-256).
const COMMIT_ID = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;

/**
 * The commit id `ref` names, lower-cased, when it is a full commit id (40 hex digits, or 64
 * in a SHA-256 repository); `undefined` for a branch or tag name.
 * @internal
 */
export function gitCommitId(ref: string): string | undefined {
  return COMMIT_ID.test(ref) ? ref.toLowerCase() : undefined;
}

/**
 * The server part of an https repository URL, `https://host[:port]/`: what the
 * credential helper and a CA bundle are scoped to (git's `credential.<url>` and
 * `http.<url>` settings), so a submodule on another server gets neither.
 * @internal
 */
export function httpsServerUrl(url: string): string {
  const server = /^https:\/\/[^/]+\//.exec(url);
  if (!server) throw new Error(`not an https URL with a path: ${url}`);
  return server[0];
}

/**
 * Checks a branch or tag name by the rules of `git check-ref-format --branch`, and
 * refuses what `git clone --branch` cannot take (a full `refs/...` name, `HEAD`).
 */
export function checkGitRef(ctx: PropContext, prop: string, ref: string): string {
  checkUnicodeText(ctx, prop, ref);
  const rule = gitRefRule(ref);
  if (rule) throw ctx.error('GIT_REF', prop, ref, `is not a branch or tag name: ${rule}`);
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
  checkUnicodeText(ctx, prop, path);
  if (path === '') throw ctx.error('REPO_PATH', prop, path, 'is empty: leave it unset to serve the whole repository');
  if (path.startsWith('/'))
    throw ctx.error('REPO_PATH', prop, path, 'is not a path inside the repository: it must be relative, without a leading "/"');
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw ctx.error('REPO_PATH', prop, path, "is not a normalized path: no '.', '..', empty segments or trailing '/'");
  }
  return path;
}

/**
 * Checks that credentials of `kind` fit the repository's transport: an ssh key for an ssh
 * URL, a token for an https URL.
 */
export function checkCredentialsTransport(
  ctx: PropContext,
  prop: string,
  kind: 'ssh' | 'https',
  protocol: GitProtocol,
  repository: string,
): void {
  if (protocol !== kind) {
    throw ctx.error('CREDENTIALS', prop, kind, `credentials need an ${kind} repository URL, not ${JSON.stringify(repository)}`);
  }
}

/**
 * Checks that a CA bundle fits the repository's transport: only an https server has one.
 * @internal
 */
export function checkCaBundleTransport(ctx: PropContext, prop: string, value: unknown, protocol: GitProtocol, repository: string): void {
  if (protocol !== 'https') {
    throw ctx.error(
      'CA_BUNDLE',
      prop,
      value,
      `is a CA bundle for an https server, but the repository ${JSON.stringify(repository)} is not an https URL`,
    );
  }
}
