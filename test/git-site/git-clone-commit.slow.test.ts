// Pinning a commit: `ref` as a full commit id, fetched by id, against servers that allow it
// (protocol v2, or v0 with uploadpack.allowReachableSHA1InWant) and one that refuses.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_CLONE_LAYOUT, GitCloneScript, PropContext, PropError } from '../../lib';
import { git, TestRepo } from '../support/git-repo';
import { GitHttpsServer, makeTestTls, startGitHttpsServer, TestTls } from '../support/git-https';
import { runGitScript, served, snapshotsOf } from '../support/git-script';
import { SHELLS, tempDir } from '../support/run';

let repo: TestRepo;
let commits: string[];

beforeAll(() => {
  repo = TestRepo.create();
  commits = repo.add(
    { branch: 'main', files: { 'index.html': 'one\n' } },
    { branch: 'main', files: { 'index.html': 'two\n' } },
    { branch: 'main', files: { 'index.html': 'three\n' } },
  );
});

function pin(commit: string, props: { repository?: string; depth?: number; caBundlePath?: string } = {}) {
  return new GitCloneScript({ repository: repo.url, allowFileUrl: true, ref: commit, ...props });
}

describe.each(SHELLS)('a pinned commit, run by %s', (shell) => {
  test('serves exactly that commit, shallow, though the branch moved on; a rerun fetches nothing', () => {
    const dir = tempDir();
    const script = pin(commits[1]);
    expect(script.commit).toBe(commits[1]);
    const result = runGitScript(script.initScript.toCommand(), dir, shell);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`git-site: serving ${commits[1]}\n`);
    const { snapshot, content } = served(dir);
    expect(content).toBe('two\n');
    const gitDir = join(dir, GIT_CLONE_LAYOUT.repositoryDir);
    expect(git(['--git-dir', gitDir, 'rev-list', '--count', 'refs/git-site/fetched']).trim()).toBe('1');
    expect(existsSync(join(dir, 'site', '.git'))).toBe(false);

    // No ls-remote for a commit: with the repository gone, the restarted init container
    // still finds its commit served.
    const moved = `${repo.dir}.away`;
    renameSync(repo.dir, moved);
    try {
      const again = runGitScript(script.initScript.toCommand(), dir, shell);
      expect(again).toEqual({ status: 0, stdout: `git-site: commit ${commits[1]} is up to date\n`, stderr: '' });
    } finally {
      renameSync(moved, repo.dir);
    }
    expect(snapshotsOf(dir)).toEqual([snapshot]);
  });
});

describe('a pinned commit', () => {
  test('at depth 2, and written in capitals', () => {
    const dir = tempDir();
    const result = runGitScript(pin(commits[1].toUpperCase(), { depth: 2 }).initScript.toCommand(), dir);
    expect(result.stdout).toBe(`git-site: serving ${commits[1]}\n`);
    expect(
      git(['--git-dir', join(dir, GIT_CLONE_LAYOUT.repositoryDir), 'rev-list', 'refs/git-site/fetched'])
        .trim()
        .split('\n'),
    ).toEqual([commits[1], commits[0]]);
  });

  test('of a SHA-256 repository (64 hex digits)', () => {
    const sha256 = TestRepo.create('sha256.git', tempDir('git-remote-'), 'sha256');
    const [first] = sha256.add(
      { branch: 'main', files: { 'index.html': 'sha-256 one\n' } },
      { branch: 'main', files: { 'index.html': 'sha-256 two\n' } },
    );
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    const dir = tempDir();
    const result = runGitScript(new GitCloneScript({ repository: sha256.url, allowFileUrl: true, ref: first }).initScript.toCommand(), dir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`git-site: serving ${first}\n`);
    expect(served(dir).content).toBe('sha-256 one\n');
  });

  test('a commit the repository does not have: git says so, then the script says what it means, and nothing is switched', () => {
    const dir = tempDir();
    const missing = '0123456789abcdef0123456789abcdef01234567';
    const result = runGitScript(pin(missing).initScript.toCommand(), dir);
    expect(result.status).toBe(1);
    // (file:// runs upload-pack locally, which also prints its own "fatal: git upload-pack: ...", at any moment)
    expect(result.stderr).toContain(`fatal: remote error: upload-pack: not our ref ${missing}\n`);
    expect(result.stderr).toContain(
      `\ngit-site: could not fetch commit ${missing} from ${repo.url}: the repository has no such commit, or its server does not allow fetching a commit by its id (it needs git protocol v2, or uploadpack.allowReachableSHA1InWant=true)\n`,
    );
    expect(existsSync(join(dir, 'site'))).toBe(false);
  });

  test('an abbreviated id is a branch or tag name; the error says a commit needs its full id', () => {
    const dir = tempDir();
    const short = commits[0].slice(0, 12);
    const result = runGitScript(pin(short).initScript.toCommand(), dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `git-site: ${repo.url} has no branch or tag ${short} (a commit is pinned by its full id: 40 hex digits, or 64)\n`,
    );
  });

  test('has nothing to sync: the sync loop is a PropError', () => {
    const script = pin(commits[0]);
    let error: unknown;
    try {
      script.syncScript(60, PropContext.named('Test'), 'syncInterval');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PropError);
    expect(error).toMatchObject({ code: 'PROP_CONFLICT', prop: 'syncInterval', value: 60 });
    expect((error as Error).message).toBe(
      `Test (prop syncInterval): 60 has nothing to follow: ref pins the commit ${commits[0]}, which never moves (follow a branch or tag to keep the site current, or leave syncInterval unset)`,
    );
  });

  test('39 or 41 hex digits are not a commit id', () => {
    for (const ref of [commits[0].slice(1), `${commits[0]}0`]) expect(pin(ref).commit).toBeUndefined();
  });
});

// Over https: git's smart HTTP through git http-backend, as servers run it.
(existsSync('/usr/bin/openssl') ? describe : describe.skip)('fetching a commit by its id over https', () => {
  let tls: TestTls;
  let v2: GitHttpsServer;
  let v0: GitHttpsServer;
  let pinned: string;

  beforeAll(async () => {
    tls = makeTestTls();
    const root = tempDir('https-root-');
    const refusing = TestRepo.create('refusing.git', root);
    const allowing = TestRepo.create('allowing.git', root);
    allowing.config('uploadpack.allowReachableSHA1InWant', 'true');
    for (const r of [refusing, allowing]) {
      [pinned] = r.add({ branch: 'main', files: { 'index.html': 'pinned\n' } }, { branch: 'main', files: { 'index.html': 'newer\n' } });
    }
    [v2, v0] = await Promise.all([startGitHttpsServer(root, tls), startGitHttpsServer(root, tls, { v0: true })]);
  });
  afterAll(() => {
    v2.process.kill();
    v0.process.kill();
  });

  function clone(url: string) {
    const dir = tempDir();
    return { dir, result: runGitScript(pin(pinned, { repository: url, caBundlePath: tls.caCert }).initScript.toCommand(), dir) };
  }

  test('a protocol v2 server sends any commit it has', () => {
    const { dir, result } = clone(`${v2.base}refusing.git`);
    expect(result.stderr).toBe('');
    expect(served(dir).content).toBe('pinned\n');
  });

  test('a protocol v0 server with uploadpack.allowReachableSHA1InWant sends it', () => {
    const { dir, result } = clone(`${v0.base}allowing.git`);
    expect(result.stderr).toBe('');
    expect(served(dir).content).toBe('pinned\n');
  });

  test('a protocol v0 server without it refuses: the error the user sees', () => {
    const url = `${v0.base}refusing.git`;
    const { dir, result } = clone(url);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `error: Server does not allow request for unadvertised object ${pinned}\n` +
        `git-site: could not fetch commit ${pinned} from ${url}: the repository has no such commit, or its server does not allow fetching a commit by its id (it needs git protocol v2, or uploadpack.allowReachableSHA1InWant=true)\n`,
    );
    expect(existsSync(join(dir, 'site'))).toBe(false);
  });
});
