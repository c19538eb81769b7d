// Issue 19, item 6: remotes that accept and never answer, and trees larger than the site
// volume allows. Every network step has a time limit; a timeout is logged with the step and
// the remote; the init script fails, the sync loop keeps serving and tries again.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Size } from 'cdk8s';
import { GIT_NETWORK_LIMITS, GitCloneScript } from '../../lib';
import { TestRepo } from '../support/git-repo';
import { GitHttpsServer, makeTestTls, startGitHttpsServer, TestTls } from '../support/git-https';
import { runGitScript, served, snapshotsOf } from '../support/git-script';
import { SilentServer, startSilentServer } from '../support/git-silent';
import { SHELLS, tempDir } from '../support/run';

const BUSYBOX = SHELLS.includes('busybox sh') ? 'busybox sh' : 'sh';
const LIMIT = Duration.seconds(2);

(existsSync('/usr/bin/openssl') ? describe : describe.skip)('a remote that accepts and never answers', () => {
  let tls: TestTls;
  let silentTls: SilentServer;
  let silentTcp: SilentServer;

  beforeAll(async () => {
    tls = makeTestTls();
    [silentTls, silentTcp] = await Promise.all([startSilentServer(tls), startSilentServer()]);
  });
  afterAll(() => {
    silentTls.process.kill();
    silentTcp.process.kill();
  });

  /** Runs `command` in a fresh volume; returns the result and the seconds it took. */
  function timed(command: readonly string[], env: Record<string, string> = {}) {
    const dir = tempDir();
    const started = Date.now();
    const result = runGitScript(command, dir, BUSYBOX, env);
    return { dir, result, seconds: (Date.now() - started) / 1000 };
  }

  test('https that completes TLS, reads the request and never answers: ls-remote times out, the init script fails', () => {
    const repository = `https://127.0.0.1:${silentTls.port}/site.git`;
    const script = new GitCloneScript({ repository, caBundlePath: tls.caCert, networkTimeout: LIMIT });
    const { dir, result, seconds } = timed(script.initScript.toCommand());
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`git-site: ls-remote of ${repository} timed out after 2s\n`);
    expect(seconds).toBeLessThan(2 + 5 + 3);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a pinned commit: the fetch times out the same way', () => {
    const repository = `https://127.0.0.1:${silentTls.port}/site.git`;
    const script = new GitCloneScript({ repository, ref: 'a'.repeat(40), caBundlePath: tls.caCert, networkTimeout: LIMIT });
    const { result, seconds } = timed(script.initScript.toCommand());
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`git-site: fetch of ${repository} timed out after 2s\n`);
    expect(seconds).toBeLessThan(10);
  });

  test('ssh to a server that never sends its banner: ls-remote fails within the limit', () => {
    const keys = tempDir('ssh-');
    writeFileSync(join(keys, 'id'), '', { mode: 0o600 });
    writeFileSync(join(keys, 'known_hosts'), '');
    const repository = `ssh://git@127.0.0.1:${silentTcp.port}/site.git`;
    const script = new GitCloneScript({
      repository,
      networkTimeout: LIMIT,
      credentialFiles: { kind: 'ssh', privateKeyPath: join(keys, 'id'), knownHostsPath: join(keys, 'known_hosts') },
    });
    expect(script.initScript.render()).toContain('-o ConnectTimeout=2 -o ServerAliveInterval=15 -o ServerAliveCountMax=4');
    const { result, seconds } = timed(script.initScript.toCommand());
    expect(result.status).not.toBe(0);
    expect(seconds).toBeLessThan(10);
  });

  test('the sync loop logs each timeout, keeps running and tries again next interval', () => {
    const repository = `https://127.0.0.1:${silentTls.port}/site.git`;
    const script = new GitCloneScript({ repository, caBundlePath: tls.caCert, networkTimeout: LIMIT });
    const { result, seconds } = timed(script.syncScript(1).toCommand(), { GIT_SITE_SYNC_ITERATIONS: '2' });
    expect(result.status).toBe(0);
    const lines = result.stderr.split('\n');
    expect(lines.filter((l) => l === `git-site: ls-remote of ${repository} timed out after 2s`)).toHaveLength(2);
    expect(lines.filter((l) => l === 'git-site: update failed, still serving the previous tree')).toHaveLength(2);
    expect(seconds).toBeLessThan(2 * 7 + 1 + 3);
  });

  test('https steps get the low-speed abort, bounded by the limit', () => {
    const render = (networkTimeout?: Duration) =>
      new GitCloneScript({ repository: 'https://example.com/site.git', networkTimeout }).initScript.render();
    expect(render()).toContain(`'-c' 'http.lowSpeedLimit=1000' '-c' 'http.lowSpeedTime=60'`);
    expect(render()).toContain(`timeout -k 5 '${GIT_NETWORK_LIMITS.defaultTimeoutSeconds}' git`);
    expect(render(Duration.seconds(20))).toContain(`'http.lowSpeedTime=20'`);
  });
});

(existsSync('/usr/bin/openssl') ? describe : describe.skip)('a tree larger than maxTreeSize', () => {
  let server: GitHttpsServer;
  let repo: TestRepo;
  let url: string;
  let tls: TestTls;

  beforeAll(async () => {
    tls = makeTestTls();
    const root = tempDir('https-root-');
    repo = TestRepo.create('site.git', root);
    repo.add({ branch: 'main', files: { 'index.html': 'small\n' } });
    server = await startGitHttpsServer(root, tls);
    url = `${server.base}site.git`;
  });
  afterAll(() => server.process.kill());

  test('fails the update and keeps serving the old tree', () => {
    const dir = tempDir();
    const script = new GitCloneScript({ repository: url, caBundlePath: tls.caCert, maxTreeSize: Size.kibibytes(400) });
    expect(runGitScript(script.initScript.toCommand(), dir, BUSYBOX).status).toBe(0);
    expect(served(dir).content).toBe('small\n');
    // Random bytes do not compress: a small fetch would not show it, the checkout does.
    const big = Array.from({ length: (600 * 1024) / 16 }, () => Math.random().toString(36).slice(2, 18)).join('');
    repo.add({ branch: 'main', files: { 'index.html': 'big\n', 'big.bin': big } });
    const result = runGitScript(script.initScript.toCommand(), dir, BUSYBOX);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(
      /^git-site: the default branch takes \d+ KiB with the repository, more than maxTreeSize \(400 KiB\): not served\n$/,
    );
    expect(served(dir).content).toBe('small\n');
    expect(snapshotsOf(dir)).toHaveLength(1);
  });
});
