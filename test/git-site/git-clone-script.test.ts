import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { GIT_CLONE_LAYOUT, GitCloneScript, GitCloneScriptProps, PropContext } from '../../lib';
import { git, TestRepo } from '../support/git-repo';
import { GitHttpsServer, makeTestTls, startGitHttpsServer, TestTls } from '../support/git-https';
import { pathFor, runGitScript, served, snapshotsOf } from '../support/git-script';
import { runWithShell, SHELLS, tempDir } from '../support/run';

// Valid in git and in a URL, full of shell syntax: quoting mistakes would run `touch PWNED`.
const HOSTILE_BRANCH = 'feature/$(touch${IFS}PWNED)\'"`touch${IFS}PWNED`;>PWNED&|<x!#%✓';
const HOSTILE_DIR = `docs $(touch PWNED) \`touch PWNED\` 'q' "d"; touch PWNED & | > PWNED\nline two \\ %s ✓`;
const HOSTILE_REPO = "site$(touch$IFS'PWNED');'&!.git";

let repo: TestRepo;
let commits: string[];

beforeAll(() => {
  repo = TestRepo.create(HOSTILE_REPO);
  commits = repo.add(
    { branch: 'main', files: { 'index.html': 'one\n' } },
    { branch: 'main', files: { 'index.html': 'two\n', 'docs/index.html': 'docs two\n', leak: { symlink: '/etc/passwd' } } },
    { tag: 'v1', branch: 'main' },
    { branch: 'main', files: { 'index.html': 'three\n' } },
    { branch: HOSTILE_BRANCH, files: { [`${HOSTILE_DIR}/index.html`]: 'hostile\n', 'index.html': 'root\n' } },
  );
});

function script(props: Partial<GitCloneScriptProps> = {}): GitCloneScript {
  return new GitCloneScript({ repository: repo.url, allowFileUrl: true, ...props });
}

const run = runGitScript;

function expectNothingRan(...dirs: string[]) {
  for (const dir of [...dirs, repo.dir, join(repo.dir, '..')]) expect(existsSync(join(dir, 'PWNED'))).toBe(false);
}

describe.each(SHELLS)('the init script, run by %s', (shell) => {
  test('publishes a hostile branch and sub-path from a hostile URL literally, next to what the volume holds, and runs nothing', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'lost+found'));
    writeFileSync(join(dir, 'unrelated.txt'), 'keep me');
    mkdirSync(join(dir, '.git-site.half-written'));
    symlinkSync('.git-site.gone/tree', join(dir, '.git-site.gone.link'));
    const init = script({ ref: HOSTILE_BRANCH, subPath: HOSTILE_DIR });

    // The parent's umask must not leak into the tree: httpd runs as another user.
    const first = run([init.initScript.shell, '-c', `umask 077\n${init.initScript.render()}`], dir, shell);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const { target, snapshot, content } = served(dir);
    expect(content).toBe('hostile\n');
    expect(target).toBe(`${snapshot}/tree/${HOSTILE_DIR}`);
    expect(first.stdout).toBe(`git-site: serving ${commits[3]}\n`);
    expect(readdirSync(dir).sort()).toEqual([GIT_CLONE_LAYOUT.repositoryDir, snapshot, 'lost+found', 'site', 'unrelated.txt'].sort());
    expect(statSync(join(dir, snapshot)).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'site', 'index.html')).mode & 0o777).toBe(0o644);
    expectNothingRan(dir, join(dir, 'site'));

    // An init container that runs again (pod restart) finds the tree current.
    const again = run(init.initScript.toCommand(), dir, shell);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(`git-site: branch or tag ${HOSTILE_BRANCH} is up to date\n`);
    expect(served(dir).target).toBe(target);
  });

  test('SIGTERM stops the sync loop at once, also while it sleeps', async () => {
    const loop = new GitCloneScript({ repository: 'file:///nonexistent/repo.git', allowFileUrl: true }).syncScript(3600);
    const [program, ...args] = shell.split(' ');
    const env = { PATH: pathFor(shell) };
    // Its own process group, so the sleep it leaves behind can be cleaned up (in a pod,
    // the runtime kills every process once the container's first process exits).
    const child = spawn(program, [...args, '-c', loop.render()], {
      cwd: tempDir(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('still serving the previous tree')) resolve();
      }),
    );
    child.kill('SIGTERM');
    try {
      expect(await exited).toBe(0);
    } finally {
      killLeftovers(child.pid!);
    }
  });
});

// Kills what is left of a process group; the group may be gone already (the sync loop ends
// its own sleep on TERM).
function killLeftovers(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

describe('the init script', () => {
  test('a tag at depth 2: its files, two commits of history, no git metadata in the served tree, symlinks as plain files', () => {
    const dir = tempDir();
    const result = run(script({ ref: 'v1', depth: 2 }).initScript.toCommand(), dir);
    expect(result.status).toBe(0);
    const { snapshot, content } = served(dir);
    expect(content).toBe('two\n');
    expect(readdirSync(join(dir, 'site')).sort()).toEqual(['docs', 'index.html', 'leak']);
    expect(readdirSync(join(dir, snapshot)).sort()).toEqual(['remote', 'tree']);
    expect(lstatSync(join(dir, 'site', 'leak')).isFile()).toBe(true);
    expect(readFileSync(join(dir, 'site', 'leak'), 'utf8')).toBe('/etc/passwd');
    const gitDir = join(dir, GIT_CLONE_LAYOUT.repositoryDir);
    expect(git(['--git-dir', gitDir, 'rev-list', '--count', 'refs/git-site/fetched']).trim()).toBe('2');
    expect(git(['--git-dir', gitDir, 'rev-parse', 'refs/git-site/fetched^{commit}']).trim()).toBe(commits[1]);
    expect(existsSync(join(gitDir, 'shallow'))).toBe(true);
  });

  test('a missing ref fails with a clear message and publishes nothing', () => {
    const dir = tempDir();
    const result = run(script({ ref: 'no-such-branch' }).initScript.toCommand(), dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`git-site: ${repo.url} has no branch or tag no-such-branch\n`);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a missing sub-path fails with a clear message and switches nothing', () => {
    const dir = tempDir();
    const result = run(script({ subPath: 'missing' }).initScript.toCommand(), dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('git-site: missing is not a directory in the default branch\n');
    expect(existsSync(join(dir, 'site'))).toBe(false);
  });
});

// The kubelet's view: the git user 65534 with the pod's fsGroup 10001 as a supplementary
// group, in an emptyDir that is setgid and group-owned by the fsGroup; httpd as 10001.
(process.getuid?.() === 0 && existsSync('/usr/bin/setpriv') ? describe : describe.skip)('as the container users', () => {
  test('the git user publishes a tree httpd can read, and removes an old snapshot with read-only git objects', () => {
    const remote = TestRepo.create();
    remote.add({ branch: 'main', files: { 'index.html': 'first\n', 'css/site.css': 'body {}\n' } });
    const volume = tempDir();
    chownSync(volume, 0, 10001);
    chmodSync(volume, 0o2777);
    // A snapshot an interrupted update left behind, as git writes objects: read-only.
    const stale = join(volume, '.git-site.stale', 'git', 'objects', 'ab');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'cdef'), 'object', { mode: 0o444 });
    const home = tempDir('home-');
    chmodSync(home, 0o777);
    spawnSync('chown', ['-R', '65534:65534', join(remote.dir, '..'), join(volume, '.git-site.stale')]);

    const init = new GitCloneScript({ repository: remote.url, allowFileUrl: true });
    const result = runWithShell(init.initScript.toCommand(), 'setpriv --reuid=65534 --regid=65534 --groups=10001 sh', {
      cwd: volume,
      env: { HOME: home },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const { snapshot } = served(volume);
    expect(snapshotsOf(volume)).toEqual([snapshot]);
    expect(statSync(join(volume, snapshot)).uid).toBe(65534);
    const read = spawnSync('setpriv', ['--reuid=10001', '--regid=10001', '--groups=10001', 'cat', 'site/index.html', 'site/css/site.css'], {
      cwd: volume,
      encoding: 'utf8',
    });
    expect(read.stdout).toBe('first\nbody {}\n');
  });
});

describe('the sync loop', () => {
  test('a failed update is logged, the loop goes on, and the current tree stays served', () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.git-site.current', 'tree'), { recursive: true });
    writeFileSync(join(dir, '.git-site.current', 'tree', 'index.html'), 'current\n');
    symlinkSync('.git-site.current/tree', join(dir, 'site'));
    const before = served(dir).target;
    const broken = new GitCloneScript({ repository: 'file:///nonexistent/repo.git', allowFileUrl: true });
    // One round: reaching the end of it (exit 0) shows the failure did not stop the loop.
    const result = run(broken.syncScript(1).toCommand(), dir, 'sh', { [GIT_CLONE_LAYOUT.iterationsEnv]: '1' });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/\ngit-site: update failed, still serving the previous tree\n$/);
    expect(served(dir).target).toBe(before);
    expect(served(dir).content).toBe('current\n');
  });
});

describe('private repositories', () => {
  test('ssh: only the mounted key, the host checked against the mounted known_hosts, nothing secret on the command line (and keepSymlinks)', () => {
    const bin = tempDir('bin-');
    const argvLog = join(bin, 'argv');
    // A stand-in for ssh that logs its arguments and runs the remote command locally.
    writeFileSync(join(bin, 'ssh'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${argvLog}\nfor last in "$@"; do :; done\nexec sh -c "$last"\n`, {
      mode: 0o755,
    });
    const secrets = tempDir('secret-');
    writeFileSync(join(secrets, 'ssh-privatekey'), 'PRIVATE KEY MATERIAL');
    writeFileSync(join(secrets, 'known_hosts'), 'git.example.com ssh-ed25519 AAAA');
    const remote = TestRepo.create();
    const [head] = remote.add({ branch: 'main', files: { 'index.html': 'private\n', latest: { symlink: 'index.html' } } });
    const clone = new GitCloneScript({
      repository: `ssh://git@git.example.com:2222${remote.dir}`,
      keepSymlinks: true,
      credentialFiles: { kind: 'ssh', privateKeyPath: join(secrets, 'ssh-privatekey'), knownHostsPath: join(secrets, 'known_hosts') },
    });
    const dir = tempDir();
    const result = run(clone.initScript.toCommand(), dir, 'sh', { PATH: `${bin}:${process.env.PATH}` });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`git-site: serving ${head}\n`);
    expect(served(dir).content).toBe('private\n');
    expect(readlinkSync(join(dir, 'site', 'latest'))).toBe('index.html'); // keepSymlinks
    const argv = readFileSync(argvLog, 'utf8').split('\n');
    expect(argv).toEqual(
      expect.arrayContaining([
        'BatchMode=yes',
        'IdentitiesOnly=yes',
        `IdentityFile=${join(secrets, 'ssh-privatekey')}`,
        'StrictHostKeyChecking=yes',
        `UserKnownHostsFile=${join(secrets, 'known_hosts')}`,
        'GlobalKnownHostsFile=/dev/null',
        '2222',
        'git@git.example.com',
        `git-upload-pack '${remote.dir}'`,
      ]),
    );
    expect(argv.slice(0, 2)).toEqual(['-F', '/dev/null']);
    expect(readFileSync(argvLog, 'utf8')).not.toContain('PRIVATE KEY MATERIAL');
    expect(clone.initScript.render()).not.toContain('PRIVATE KEY MATERIAL');
  });

  // A real TLS git server (git http-backend behind basic auth) in a child process.
  (existsSync('/usr/bin/openssl') ? describe : describe.skip)('https', () => {
    const token = `ghp_$(touch PWNED) 'q' "d" \`x\``;
    let tls: TestTls;
    let server: GitHttpsServer;
    let url: string;
    let head: string;

    beforeAll(async () => {
      tls = makeTestTls();
      const remote = TestRepo.create('site.git', tempDir('https-root-'));
      [head] = remote.add({ branch: 'main', files: { 'index.html': 'over https\n' } });
      server = await startGitHttpsServer(join(remote.dir, '..'), tls, { user: 'x-access-token', password: token });
      url = `${server.base}site.git`;
    });
    afterAll(() => server.process.kill());

    function cloneWith(password: string) {
      const secrets = tempDir('secret-');
      writeFileSync(join(secrets, 'username'), 'x-access-token\n');
      writeFileSync(join(secrets, 'password'), `${password}\n`);
      const clone = new GitCloneScript({
        repository: url,
        credentialFiles: { kind: 'https', usernamePath: join(secrets, 'username'), passwordPath: join(secrets, 'password') },
      });
      const dir = tempDir();
      return { dir, clone, result: run(clone.initScript.toCommand(), dir, 'sh', { GIT_SSL_CAINFO: tls.caCert }) };
    }

    test('the token comes from the mounted file through a credential helper, never from the script', () => {
      const { dir, clone, result } = cloneWith(token);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(`git-site: serving ${head}\n`);
      expect(served(dir).content).toBe('over https\n');
      expect(readFileSync(server.log, 'utf8')).toMatch(/^x-access-token GET \/site.git\/info\/refs$/m);
      expect(clone.initScript.render()).not.toContain('ghp_');
      expectNothingRan(dir);
    });

    test('a wrong token fails at once, without prompting', () => {
      const { dir, result } = cloneWith('wrong');
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/Authentication failed/);
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});

describe('bad props throw with the rule they break', () => {
  const ctx = PropContext.named('Test');
  const cases: [string, Partial<GitCloneScriptProps>, RegExp][] = [
    [
      'a local path',
      { repository: '/srv/git/site.git' },
      /^Test \(prop repository\): "\/srv\/git\/site.git" is not a git repository URL: use https:\/\/host\/path, ssh:\/\/\[user@\]host\[:port\]\/path or \[user@\]host:path$/,
    ],
    ['ext:: transport', { repository: 'ext::sh -c touch% PWNED' }, /"ext::sh -c touch% PWNED" is not a git repository URL/],
    ['git:// transport', { repository: 'git://example.com/site.git' }, /uses the transport git:\/\/, which is not supported/],
    [
      'plain http',
      { repository: 'http://example.com/site.git' },
      /uses plain http, which anyone on the path can read and alter: use https:\/\//,
    ],
    [
      'file:// without opt-in',
      { repository: 'file:///srv/site.git', allowFileUrl: false },
      /is a file:\/\/ URL, a path inside the git container: allowed only with allowFileUrl/,
    ],
    ['file:// with a host', { repository: 'file://server/srv/site.git' }, /is not a local file URL: use file:\/\/\/absolute\/path/],
    [
      'https credentials in the URL',
      { repository: 'https://user:token@example.com/site.git' },
      /holds user information: put credentials in a Secret \(the credentials prop\), never in the URL/,
    ],
    ['ssh password in the URL', { repository: 'ssh://git:secret@example.com/site.git' }, /holds user information/],
    ['port out of range', { repository: 'ssh://example.com:70000/site.git' }, /has a port outside 1 to 65535/],
    [
      'option as host',
      { repository: 'ssh://-oProxyCommand=touch%20PWNED/site.git' },
      /has an invalid host: a DNS name or IP address, not starting with '-'/,
    ],
    ['bad user', { repository: '-oProxyCommand=x@example.com:site.git' }, /has an invalid user name/],
    ['no path', { repository: 'https://example.com/' }, /has no repository path/],
    ['shell syntax in the path', { repository: 'https://example.com/$(touch PWNED)' }, /has characters a URL path cannot hold/],
    [
      'scp path as option',
      { repository: 'git@example.com:-upload-pack=touch' },
      /has a path that starts with '-', which ssh and git could read as an option/,
    ],
    ['ref: empty', { ref: '' }, /\(prop ref\): "" is not a branch or tag name: it is empty/],
    ['ref: option', { ref: '--upload-pack=touch PWNED' }, /"--upload-pack=touch PWNED" is not a branch or tag name: it starts with '-'/],
    ['ref: forbidden character', { ref: 'a b' }, /it holds a character git forbids in ref names/],
    ['ref: ..', { ref: 'a..b' }, /it contains '\.\.'/],
    ['ref: @{', { ref: 'a@{1}' }, /it contains '@\{'/],
    ['ref: @', { ref: '@' }, /it is '@'/],
    ['ref: HEAD', { ref: 'HEAD' }, /HEAD names the current commit/],
    ['ref: full name', { ref: 'refs/heads/main' }, /it is a full ref name/],
    ['ref: slashes', { ref: 'feature//x' }, /it starts or ends with '\/' or contains '\/\/'/],
    ['ref: dot part', { ref: 'feature/.hidden' }, /a '\/'-separated part starts with '\.'/],
    ['ref: .lock', { ref: 'main.lock' }, /a '\/'-separated part ends with '\.lock'/],
    ['ref: trailing dot', { ref: 'v1.' }, /it ends with '\.'/],
    ['depth', { depth: 0 }, /\(prop depth\): 0 is not a clone depth from 1 to 2147483647/],
    ['subPath: empty', { subPath: '' }, /\(prop subPath\): "" is empty: leave it unset to serve the whole repository/],
    ['subPath: absolute', { subPath: '/docs' }, /is not a path inside the repository: it must be relative/],
    ['subPath: ..', { subPath: 'docs/../..' }, /is not a normalized path/],
    ['subPath: NUL', { subPath: 'a\0b' }, /holds a NUL byte/],
    ['shell', { shell: 'sh' }, /\(prop shell\): "sh" is not an absolute path/],
    [
      'credential path',
      {
        repository: 'git@example.com:site.git',
        credentialFiles: { kind: 'ssh', privateKeyPath: '/keys/id rsa', knownHostsPath: '/keys/known_hosts' },
      },
      /\(prop credentialFiles\): "\/keys\/id rsa" is not a plain absolute path/,
    ],
    [
      'credentials for another transport',
      { repository: 'https://example.com/site.git', credentialFiles: { kind: 'ssh', privateKeyPath: '/k', knownHostsPath: '/h' } },
      /\(prop credentialFiles\): "ssh" credentials need an ssh repository URL, not "https:\/\/example.com\/site.git"/,
    ],
  ];
  test.each(cases)('%s', (_, props, message) => {
    expect(() => new GitCloneScript({ repository: 'https://example.com/site.git', allowFileUrl: true, ...props }, ctx)).toThrow(message);
  });

  test('the sync interval is whole seconds', () => {
    expect(() => script().syncScript(0)).toThrow(/GitCloneScript.syncScript \(prop intervalSeconds\): 0 is not a number of seconds/);
  });

  test('accepted URL forms', () => {
    for (const url of [
      'https://example.com/org/site.git',
      'https://example.com:8443/a/b',
      'ssh://git@example.com/org/site.git',
      'ssh://[::1]:22/srv/site.git',
      'git@github.com:org/site.git',
      'example.com:site.git',
    ]) {
      expect(() => new GitCloneScript({ repository: url }, ctx)).not.toThrow();
    }
    expect(new GitCloneScript({ repository: 'git@github.com:org/site.git' }).protocol).toBe('ssh');
  });
});
