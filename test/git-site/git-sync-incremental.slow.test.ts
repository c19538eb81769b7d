// The incremental sync: one repository in the volume, only new objects fetched, old trees
// and objects dropped, a damaged repository cloned afresh, a sub-path checked out sparsely.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GIT_CLONE_LAYOUT, GitCloneScript, GitCloneScriptProps } from '../../lib';
import { git, GIT, TestRepo } from '../support/git-repo';
import { pathFor, runGitScript, served, snapshotsOf } from '../support/git-script';
import { SHELLS, tempDir } from '../support/run';

const REPO = GIT_CLONE_LAYOUT.repositoryDir;

// Text that deflate cannot shrink much (base64 of a seeded PRNG), so sizes mean bytes sent.
function noise(seed: number, bytes: number): string {
  const out = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out.toString('base64');
}

function update(script: GitCloneScript, dir: string, shell = 'sh', env: Record<string, string> = {}) {
  return runGitScript(script.initScript.toCommand(), dir, shell, env);
}

/** The objects in the volume's repository, and how many are packed. */
function objectsIn(dir: string) {
  const lines = git(['--git-dir', join(dir, REPO), 'count-objects', '-v'])
    .trim()
    .split('\n');
  const value = (key: string) => Number(lines.find((l) => l.startsWith(`${key}: `))!.split(' ')[1]);
  return { loose: value('count'), packed: value('in-pack') };
}

describe.each(SHELLS)('the incremental sync, run by %s', (shell) => {
  test('fetches only the new objects into the one repository, drops the tree replaced an update before, and keeps no object the served commit does not need', () => {
    const remote = TestRepo.create();
    const big = noise(1, 192 * 1024);
    remote.add({ branch: 'main', files: { 'index.html': 'one\n', 'big.txt': big } });
    const script = new GitCloneScript({ repository: remote.url, allowFileUrl: true });
    const dir = tempDir();
    expect(update(script, dir, shell).status).toBe(0);
    const first = served(dir).snapshot;
    const repoInode = statSync(join(dir, REPO)).ino;

    const snapshots = [first];
    for (const version of ['two', 'three', 'four']) {
      const [commit] = remote.add({ branch: 'main', files: { 'index.html': `${version}\n`, 'big.txt': big } });
      const pack = join(tempDir('pack-'), 'received.pack');
      const result = update(script, dir, shell, { GIT_TRACE_PACKFILE: pack });
      expect(result).toEqual({ status: 0, stdout: `git-site: serving ${commit}\n`, stderr: '' });
      expect(served(dir).content).toBe(`${version}\n`);
      // The new commit, its tree and one blob: a few hundred bytes, not the 256 KiB of big.txt.
      expect(statSync(pack).size).toBeLessThan(2048);
      expect(statSync(join(dir, REPO)).ino).toBe(repoInode);
      snapshots.push(served(dir).snapshot);
      // The tree the link left stays one update; the one before is gone.
      expect(snapshotsOf(dir).sort()).toEqual(snapshots.slice(-2).sort());
      // Exactly the served commit's objects: commit, tree and two blobs, loose.
      expect(objectsIn(dir)).toEqual({ loose: 4, packed: 0 });
      expect(readFileSync(join(dir, REPO, 'shallow'), 'utf8')).toBe(`${commit}\n`);
      expect(existsSync(join(dir, REPO, 'worktrees'))).toBe(false);
    }
    expect(readdirSync(dir).sort()).toEqual([REPO, ...snapshots.slice(-2), 'site'].sort());
  });
});

describe('the incremental sync', () => {
  let remote: TestRepo;
  let script: GitCloneScript;
  let dir: string;
  let n = 0;
  const push = () => remote.add({ branch: 'main', files: { 'index.html': `version ${++n}\n`, 'lib.txt': 'shared\n' } })[0];

  beforeEach(() => {
    remote = TestRepo.create();
    push();
    script = new GitCloneScript({ repository: remote.url, allowFileUrl: true });
    dir = tempDir();
    expect(update(script, dir).status).toBe(0);
  });

  test('the commit ls-remote named is fetched by its id: the server lists its refs once per update', () => {
    const trace = join(tempDir('trace-'), 'packets');
    const commit = push();
    expect(update(script, dir, 'sh', { GIT_TRACE_PACKET: trace })).toEqual({
      status: 0,
      stdout: `git-site: serving ${commit}\n`,
      stderr: '',
    });
    const sent = readFileSync(trace, 'utf8');
    // What the client sent (git's packet trace: `<process>> <line>`).
    expect(sent.match(/> command=ls-refs$/gm)).toHaveLength(1);
    expect(sent.match(/> command=fetch$/gm)).toHaveLength(1);
    expect(sent).toMatch(new RegExp(`fetch> want ${commit}$`, 'm'));
  });

  test('a server that speaks only protocol v0 serves the id it advertised', () => {
    const v0 = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.version', GIT_CONFIG_VALUE_0: '0' };
    for (const shell of SHELLS) {
      const commit = push();
      expect([shell, update(script, dir, shell, v0)]).toEqual([shell, { status: 0, stdout: `git-site: serving ${commit}\n`, stderr: '' }]);
    }
  });

  test.each(SHELLS)(
    'an id the server no longer has (the branch moved on after ls-remote) is asked for by the ref name, quietly (%s)',
    (shell) => {
      // A git whose ls-remote answers an id the server never had.
      const bin = tempDir('git-bin-');
      writeFileSync(
        join(bin, 'git'),
        `#!/bin/sh\ncase " $* " in *" ls-remote "*) ${GIT} "$@" | sed 's/^[0-9a-f]*/${'1'.repeat(40)}/'; exit ;; esac\nexec ${GIT} "$@"\n`,
        { mode: 0o755 },
      );
      const commit = push();
      const result = update(script, dir, shell, { PATH: `${bin}:${pathFor(shell)}` });
      expect(result).toEqual({ status: 0, stdout: `git-site: serving ${commit}\n`, stderr: '' });
      expect(served(dir).content).toBe(`version ${n}\n`);
    },
  );

  test('a prune that fails after the switch is logged, the commit stays served, and the next update repairs the repository', () => {
    const bin = tempDir('git-bin-');
    writeFileSync(join(bin, 'git'), `#!/bin/sh\ncase " $* " in *" prune "*) exit 1 ;; esac\nexec ${GIT} "$@"\n`, { mode: 0o755 });
    const commit = push();
    expect(update(script, dir, 'sh', { PATH: `${bin}:${pathFor('sh')}` })).toEqual({
      status: 0,
      stdout: `git-site: serving ${commit}\n`,
      stderr: 'git-site: could not prune the repository: the next update repairs it\n',
    });
    expect(served(dir).content).toBe(`version ${n}\n`);
    expect(existsSync(join(dir, REPO, 'git-site-clean'))).toBe(false);
    const next = push();
    expect(update(script, dir)).toEqual({ status: 0, stdout: `git-site: serving ${next}\n`, stderr: '' });
    // Only the served commit's objects: its commit, its tree and the two blobs.
    expect(objectsIn(dir)).toEqual({ loose: 4, packed: 0 });
  });

  test('a lock file a killed run left in the repository is no damage', () => {
    // What a run killed mid-fetch leaves: a lock, and no mark of a complete update.
    writeFileSync(join(dir, REPO, 'shallow.lock'), '');
    rmSync(join(dir, REPO, 'git-site-clean'));
    const commit = push();
    expect(update(script, dir)).toEqual({ status: 0, stdout: `git-site: serving ${commit}\n`, stderr: '' });
  });

  test('a repository with a corrupt object is cloned afresh, and says so', () => {
    const blob = git(['--git-dir', join(dir, REPO), 'rev-parse', 'refs/git-site/fetched:lib.txt']).trim();
    const object = join(dir, REPO, 'objects', blob.slice(0, 2), blob.slice(2));
    rmSync(object, { force: true });
    writeFileSync(object, 'not zlib');
    const commit = push();
    const result = update(script, dir);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^git-site: the update failed in the repository in the volume: cloning afresh\n$/m);
    expect(result.stdout).toBe(`git-site: serving ${commit}\n`);
    expect(readFileSync(join(dir, 'site', 'lib.txt'), 'utf8')).toBe('shared\n');
    expect(git(['--git-dir', join(dir, REPO), 'fsck', '--no-dangling']).trim()).toBe('');
  });

  test('a directory that is no repository is replaced, and says so', () => {
    rmSync(join(dir, REPO), { recursive: true });
    spawnSync('mkdir', [join(dir, REPO)]);
    writeFileSync(join(dir, REPO, 'HEAD'), 'garbage');
    const commit = push();
    const result = update(script, dir);
    expect(result).toEqual({
      status: 0,
      stdout: `git-site: serving ${commit}\n`,
      stderr: 'git-site: the repository in the volume is damaged (no sha1 repository): cloning afresh\n',
    });
  });

  test('a remote that cannot be reached fails the update but keeps the repository', () => {
    const repoInode = statSync(join(dir, REPO)).ino;
    const before = served(dir).target;
    const broken = new GitCloneScript({ repository: `${remote.url}.gone`, allowFileUrl: true });
    const result = update(broken, dir);
    expect(result.status).not.toBe(0);
    expect(result.stderr).not.toMatch(/damaged/);
    expect(statSync(join(dir, REPO)).ino).toBe(repoInode);
    expect(served(dir).target).toBe(before);
  });

  test('an update killed at any moment leaves a volume the next update serves from', async () => {
    const site = (v: number) => ({ 'index.html': `v${v}\n`, 'big.txt': noise(100 + v, 1536 * 1024) });
    remote.add({ branch: 'main', files: site(0) });
    expect(update(script, dir).status).toBe(0);
    for (const [i, delay] of [20, 60, 120, 200, 320, 500, 800].entries()) {
      remote.add({ branch: 'main', files: site(i + 1) });
      // Its own session, and the kill takes the whole session, as a container's end takes
      // every process in it (timeout(1) puts git in a process group of its own).
      const killed = spawn('sh', ['-c', script.initScript.render()], { cwd: dir, detached: true, stdio: 'ignore' });
      const closed = new Promise((resolve) => killed.on('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, delay));
      while (spawnSync('pkill', ['-KILL', '-s', String(killed.pid)]).status === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await closed;
      const result = update(script, dir);
      expect({ delay, ...result }).toEqual(expect.objectContaining({ status: 0 }));
      // A run killed before its end left nothing the next one had to clone afresh for.
      expect(result.stderr).toBe('');
      expect(served(dir).content).toBe(`v${i + 1}\n`);
      expect(snapshotsOf(dir).length).toBeLessThanOrEqual(2);
      expect(git(['--git-dir', join(dir, REPO), 'fsck', '--no-dangling']).trim()).toBe('');
    }
  }, 240_000);

  test('a branch of a SHA-256 repository', () => {
    const sha256 = TestRepo.create('sha256.git', tempDir('git-remote-'), 'sha256');
    const [commit] = sha256.add({ branch: 'main', files: { 'index.html': 'sha-256\n' } });
    const volume = tempDir();
    const result = update(new GitCloneScript({ repository: sha256.url, allowFileUrl: true }), volume);
    expect(result).toEqual({ status: 0, stdout: `git-site: serving ${commit}\n`, stderr: '' });
    expect(git(['--git-dir', join(volume, REPO), 'rev-parse', '--show-object-format']).trim()).toBe('sha256');
  });
});

describe('force-pushed unrelated histories', () => {
  test('are followed, and a reader never sees a partial tree', async () => {
    const remote = TestRepo.create();
    // Each history: files that name their version, so a mixed or partial tree shows.
    const history = (v: number) => ({ 'index.html': `v${v}\n`, 'a/page.html': `v${v}\n`, 'b/page.html': `v${v}\n` });
    remote.add({ branch: 'main', files: history(0) });
    const script = new GitCloneScript({ repository: remote.url, allowFileUrl: true });
    const dir = tempDir();
    expect(update(script, dir).status).toBe(0);
    // The reader resolves the link once per read, as httpd does per request.
    const reader = spawn(
      'sh',
      [
        '-c',
        `reads=0 bad=0
while [ ! -e stop ]; do
  t=$(readlink site) || continue
  v=$(cat "$t/index.html" "$t/a/page.html" "$t/b/page.html" 2>/dev/null | sort -u)
  reads=$((reads + 1))
  case $v in v[0-9]*) case $v in *"
"*) v= ;; esac ;; *) v= ;; esac
  # A tree two updates old may be going away under a slow reader; the served one never.
  if [ -z "$v" ] && [ "$(readlink site)" = "$t" ]; then bad=$((bad + 1)); fi
done
echo "$reads $bad"`,
      ],
      { cwd: dir },
    );
    let out = '';
    reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise((resolve) => reader.on('close', resolve));
    for (let v = 1; v <= Number(process.env.GIT_FORCE_PUSHES ?? 6); v++) {
      // An unrelated root commit on a side branch, then main forced onto it.
      remote.add({ branch: `history-${v}`, files: history(v) });
      git(['--git-dir', remote.dir, 'update-ref', 'refs/heads/main', `refs/heads/history-${v}`]);
      const result = update(script, dir);
      expect(result.stderr).toBe('');
      expect(served(dir).content).toBe(`v${v}\n`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    writeFileSync(join(dir, 'stop'), '');
    await done;
    const [reads, bad] = out.trim().split(' ').map(Number);
    if (process.env.GIT_FORCE_PUSHES) console.log(`force-pushes: ${process.env.GIT_FORCE_PUSHES}, reads: ${reads}, partial: ${bad}`);
    expect(reads).toBeGreaterThan(0);
    expect(bad).toBe(0);
  }, 120_000);
});

describe('a sub-path', () => {
  // A directory name full of shell and glob syntax that git's cone patterns can still name.
  const DOCS = 'docs $(touch PWNED) `touch PWNED` \'q\' "d"; *[x]\\ #!%s ✓';
  const files = (v: number) => ({
    [`${DOCS}/index.html`]: `docs ${v}\n`,
    'README.md': 'root files come along in cone mode\n',
    'other/big.txt': noise(v, 96 * 1024),
  });

  function sparseSite(props: Partial<GitCloneScriptProps> = {}) {
    const remote = TestRepo.create();
    remote.add({ branch: 'main', files: files(1) });
    const script = new GitCloneScript({ repository: remote.url, allowFileUrl: true, subPath: DOCS, ...props });
    return { remote, script, dir: tempDir() };
  }

  test.each(SHELLS)('is checked out alone from a partial clone (%s): the other blobs are never fetched', (shell) => {
    const { remote, script, dir } = sparseSite();
    expect(update(script, dir, shell)).toEqual(expect.objectContaining({ status: 0, stderr: '' }));
    expect(served(dir).content).toBe('docs 1\n');
    const tree = join(dir, served(dir).snapshot, 'tree');
    expect(readdirSync(tree).sort()).toEqual([DOCS, 'README.md'].sort());
    const missing = git(['--git-dir', join(dir, REPO), 'rev-list', '--objects', '--missing=print', 'refs/git-site/fetched'])
      .split('\n')
      .filter((line) => line.startsWith('?'));
    expect(missing).toEqual([`?${git(['--git-dir', remote.dir, 'rev-parse', 'main:other/big.txt']).trim()}`]);
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);

    remote.add({ branch: 'main', files: files(2) });
    expect(update(script, dir, shell).status).toBe(0);
    expect(served(dir).content).toBe('docs 2\n');
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });

  test('a repository grown to twice what the served commit needs is fetched afresh at the next update', () => {
    const remote = TestRepo.create();
    const site = (v: number) => ({ 'docs/index.html': `docs ${v}\n`, 'docs/big.txt': noise(v, 300 * 1024) });
    remote.add({ branch: 'main', files: site(0) });
    const script = new GitCloneScript({ repository: remote.url, allowFileUrl: true, subPath: 'docs' });
    const dir = tempDir();
    expect(update(script, dir).status).toBe(0);
    const logs: string[] = [];
    for (let v = 1; v <= 6; v++) {
      remote.add({ branch: 'main', files: site(v) });
      const result = update(script, dir);
      expect(result.status).toBe(0);
      expect(served(dir).content).toBe(`docs ${v}\n`);
      logs.push(result.stdout);
    }
    expect(logs.join('')).toMatch(
      /git-site: the repository takes \d+ KiB, the served commit \d+ KiB of it: it is fetched afresh at the next update\n/,
    );
  });
});
