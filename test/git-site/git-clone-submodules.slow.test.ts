// Submodules: off by default; 'shallow' and 'recursive' clone them with the same
// credentials (for the repository's own server only) and under the same transport rule.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_CLONE_LAYOUT, GitCloneScript, GitCloneScriptProps } from '../../lib';
import { TestRepo } from '../support/git-repo';
import { GitHttpsServer, makeTestTls, startGitHttpsServer, TestTls } from '../support/git-https';
import { runGitScript, served } from '../support/git-script';
import { SHELLS, tempDir } from '../support/run';

const gitmodules = (entries: Record<string, string>) =>
  Object.entries(entries)
    .map(([path, url]) => `[submodule "${path}"]\n\tpath = ${path}\n\turl = ${url}\n`)
    .join('');

/** Every `.git` file or directory below `dir`. */
function gitEntries(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => p.split('/').includes('.git'));
}

// site.git has the submodule lib (a file:// URL), which has the submodule nested.
const root = tempDir('git-remote-');
let site: TestRepo;
let siteHead: string;
beforeAll(() => {
  const nested = TestRepo.create('nested.git', root);
  const [nestedHead] = nested.add({ branch: 'main', files: { 'nested.txt': 'nested\n' } });
  const lib = TestRepo.create('lib.git', root);
  const [libHead] = lib.add({
    branch: 'main',
    files: {
      'lib.css': 'body {}\n',
      leak: { symlink: '/etc/passwd' },
      '.gitmodules': gitmodules({ nested: nested.url }),
      nested: { gitlink: nestedHead },
    },
  });
  site = TestRepo.create('site.git', root);
  [siteHead] = site.add({
    branch: 'main',
    files: { 'index.html': 'site\n', '.gitmodules': gitmodules({ lib: '../lib.git' }), lib: { gitlink: libHead } },
  });
});

function clone(props: Partial<GitCloneScriptProps>, shell = 'sh', repository = site.url) {
  const dir = tempDir();
  const script = new GitCloneScript({ repository, allowFileUrl: true, ...props });
  return { dir, script, result: runGitScript(script.initScript.toCommand(), dir, shell) };
}

describe.each(SHELLS)('submodules, run by %s', (shell) => {
  test("'recursive' clones nested ones too, keeps git metadata and symlinks out of the served tree", () => {
    const { dir, result } = clone({ submodules: 'recursive' }, shell);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`git-site: serving ${siteHead}\n`);
    expect(readFileSync(join(dir, 'site', 'lib', 'lib.css'), 'utf8')).toBe('body {}\n');
    expect(readFileSync(join(dir, 'site', 'lib', 'nested', 'nested.txt'), 'utf8')).toBe('nested\n');
    // core.symlinks=false reaches the submodules (through GIT_CONFIG_PARAMETERS).
    expect(readFileSync(join(dir, 'site', 'lib', 'leak'), 'utf8')).toBe('/etc/passwd');
    expect(gitEntries(join(dir, 'site'))).toEqual([]);
    // The submodules' repositories lived in the tree's worktree entry, which the update pruned.
    expect(readdirSync(join(dir, served(dir).snapshot))).toEqual(['remote', 'tree']);
    expect(readdirSync(join(dir, GIT_CLONE_LAYOUT.repositoryDir))).not.toContain('worktrees');
    expect(readdirSync(join(dir, GIT_CLONE_LAYOUT.repositoryDir))).not.toContain('modules');
  });
});

describe('submodules', () => {
  test("'off' (the default) leaves a submodule's directory empty", () => {
    const { dir, result } = clone({});
    expect(result.stderr).toBe('');
    expect(readdirSync(join(dir, 'site', 'lib'))).toEqual([]);
  });

  test("'shallow' clones the repository's own submodules only, at depth 1", () => {
    const { dir, result } = clone({ submodules: 'shallow' });
    expect(result.stderr).toBe('');
    expect(readdirSync(join(dir, 'site', 'lib')).sort()).toEqual(['.gitmodules', 'leak', 'lib.css', 'nested']);
    expect(readdirSync(join(dir, 'site', 'lib', 'nested'))).toEqual([]);
    expect(gitEntries(join(dir, 'site'))).toEqual([]);
  });

  test('a pinned commit resolves relative submodule URLs against the repository', () => {
    const { dir, result } = clone({ submodules: 'shallow', ref: siteHead });
    expect(result.stderr).toBe('');
    expect(readFileSync(join(dir, 'site', 'lib', 'lib.css'), 'utf8')).toBe('body {}\n');
  });

  test('a submodule URL of another transport (ext::, which runs commands) fails the update with a clear line, and nothing is switched', () => {
    const evil = TestRepo.create('evil.git', tempDir('git-remote-'));
    const marker = join(tempDir(), 'PWNED');
    const [libHead] = TestRepo.create('x.git', tempDir('git-remote-')).add({ branch: 'main', files: { a: 'a\n' } });
    evil.add({
      branch: 'main',
      files: { 'index.html': 'evil\n', '.gitmodules': gitmodules({ lib: `ext::sh -c touch% ${marker}` }), lib: { gitlink: libHead } },
    });
    const { dir, result } = clone({ submodules: 'shallow' }, 'sh', evil.url);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("fatal: transport 'ext' not allowed");
    expect(result.stderr.split('\n').slice(-2)).toEqual([
      `git-site: could not clone the submodules of ${evil.url}: their URLs must use the transport file (relative URLs do), and their servers must have the recorded commits`,
      '',
    ]);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(dir, 'site'))).toBe(false);
  });
});

(existsSync('/usr/bin/openssl') ? describe : describe.skip)('submodules of an https repository', () => {
  const token = 'ghp_submodule-token';
  let tls: TestTls;
  let server: GitHttpsServer;
  let other: GitHttpsServer;
  let otherUrl: string;

  beforeAll(async () => {
    tls = makeTestTls();
    const httpsRoot = tempDir('https-root-');
    const otherRoot = tempDir('https-root-');
    const [libHead] = TestRepo.create('lib.git', httpsRoot).add({ branch: 'main', files: { 'lib.css': 'over https\n' } });
    const [otherHead] = TestRepo.create('other.git', otherRoot).add({ branch: 'main', files: { 'other.css': 'elsewhere\n' } });
    [server, other] = await Promise.all([
      startGitHttpsServer(httpsRoot, tls, { user: 'x-access-token', password: token }),
      startGitHttpsServer(otherRoot, tls, { user: 'x-access-token', password: token }),
    ]);
    otherUrl = `${other.base}other.git`;
    const submodules = (name: string, url: string, head: string) => ({
      branch: name,
      files: { 'index.html': `${name}\n`, '.gitmodules': gitmodules({ lib: url }), lib: { gitlink: head } },
    });
    const main = TestRepo.create('site.git', httpsRoot);
    main.add(
      submodules('relative', '../lib.git', libHead),
      submodules('local-file', `file://${join(root, 'lib.git')}`, libHead),
      submodules('other-server', otherUrl, otherHead),
    );
  });
  afterAll(() => {
    server.process.kill();
    other.process.kill();
  });

  function cloneOverHttps(ref: string, env: Record<string, string> = {}) {
    const secrets = tempDir('secret-');
    writeFileSync(join(secrets, 'username'), 'x-access-token\n');
    writeFileSync(join(secrets, 'password'), `${token}\n`);
    const dir = tempDir();
    const script = new GitCloneScript({
      repository: `${server.base}site.git`,
      ref,
      submodules: 'recursive',
      caBundlePath: tls.caCert,
      credentialFiles: { kind: 'https', usernamePath: join(secrets, 'username'), passwordPath: join(secrets, 'password') },
    });
    return { dir, result: runGitScript(script.initScript.toCommand(), dir, 'sh', env) };
  }

  test('a submodule on the same server is cloned with the same credentials', () => {
    const { dir, result } = cloneOverHttps('relative');
    expect(result.stderr).toBe('');
    expect(readFileSync(join(dir, 'site', 'lib', 'lib.css'), 'utf8')).toBe('over https\n');
    expect(readFileSync(server.log, 'utf8')).toMatch(/^x-access-token POST \/lib.git\/git-upload-pack$/m);
  });

  test('a file:// submodule of an https repository is refused by the transport rule', () => {
    const { dir, result } = cloneOverHttps('local-file');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("fatal: transport 'file' not allowed");
    expect(result.stderr).toMatch(/\ngit-site: could not clone the submodules of .*: their URLs must use the transport https /);
    expect(existsSync(join(dir, 'site'))).toBe(false);
  });

  test("the CA bundle is trusted for the repository's server only", () => {
    const { result } = cloneOverHttps('other-server');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`fatal: unable to access '${otherUrl}/': server certificate verification failed.`);
  });

  test('a submodule on another server never gets the token: it fails without prompting', () => {
    // Here the other server's certificate is trusted (GIT_SSL_CAINFO, for every server).
    const { result } = cloneOverHttps('other-server', { GIT_SSL_CAINFO: tls.caCert });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`could not read Username for '${other.base.slice(0, -1)}': terminal prompts disabled`);
    const requests = readFileSync(other.log, 'utf8').trim().split('\n');
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((line) => line.startsWith('- '))).toBe(true);
    expect(spawnSync('grep', ['-r', token, other.log]).status).toBe(1);
  });
});
