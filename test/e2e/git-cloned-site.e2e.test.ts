// Issue 11, item 3: GitClonedSiteInit against a git server running in the cluster (https,
// a certificate for the server pod's IP signed by a private CA the suite makes, which the
// sites trust through certificateAuthority: the git image does not).
import { existsSync } from 'node:fs';
import { gitSite } from './support/charts';
import { HostRepo, gitServerObjects } from './support/git-server';
import {
  PortForward,
  apply,
  chartYaml,
  containerStatus,
  createNamespace,
  deleteNamespaces,
  getJson,
  getThroughPortForward,
  httpGet,
  kubectl,
  objectsYaml,
  portForward,
  randomSuffix,
  removePath,
  run,
  trackPath,
  waitFor,
  waitForLogLine,
  waitPodReady,
  watchPod,
  withDiagnostics,
  Json,
} from './support/kube';

const hostDir = trackPath(`/tmp/e2e-git-${randomSuffix()}`);
const SERVER = 'git-server';
const SYNC = 5;
const SYNC_MARGIN = 15;
let serverNs = '';
let siteNs = '';
let repo: HostRepo;
const heads: Record<string, string> = {};
let releaseV1 = '';
const t = (body: () => Promise<void>) => withDiagnostics(() => [siteNs, serverNs], body);

const page = (branch: string, version: number) => `<h1>${branch} v${version}</h1>\n`;

async function sitePod(app: string): Promise<Json> {
  const name = await waitFor(
    `one pod of ${app}`,
    async () => {
      const list = await getJson(['pods', '-n', siteNs, '-l', `e2e-app=${app}`]);
      const live = list.items.filter((p: Json) => !p.metadata.deletionTimestamp);
      return live.length === 1 ? live[0].metadata.name : undefined;
    },
    { timeoutMs: 60_000 },
  );
  return waitPodReady(siteNs, name, 120_000);
}

beforeAll(async () => {
  [serverNs, siteNs] = await Promise.all([createNamespace('git-server', 'privileged'), createNamespace('git-site', 'restricted')]);
  repo = new HostRepo(hostDir);
  heads.main = repo.commit('main', { 'index.html': page('main', 1), 'only-on-main.html': 'main\n' }, 'main v1');
  heads.release = repo.commit('release', { 'index.html': page('release', 1) }, 'release v1', ['only-on-main.html']);
  releaseV1 = heads.release;
}, 30_000);

afterAll(async () => {
  // No need to wait: a server that loses its directory only fails its requests.
  await deleteNamespaces([siteNs, serverNs]);
  removePath(hostDir);
}, 60_000);

let repository = '';
let caBundle = '';

test(
  'the git server runs in the cluster: https on the pod IP, a certificate from a private CA',
  t(async () => {
    await apply(objectsYaml(gitServerObjects(serverNs, SERVER, hostDir)));
    const ip = await waitFor(
      'the git server pod IP',
      async () => (await kubectl(['get', 'pod', '-n', serverNs, SERVER, '-o', 'jsonpath={.status.podIP}'])).stdout.trim() || undefined,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    caBundle = repo.issueCertificate(ip);
    await waitPodReady(serverNs, SERVER, 60_000);
    repository = `https://${ip}/git/site.git`;
    // Both sites at once: the regular sync sidecar follows `release`, the native one `main`
    // (its httpd drains 3 s with the kubelet's sleep action, so the stop order shows in the timestamps).
    await apply(chartYaml(gitSite({ namespace: siteNs, name: 'site-a', repository, ref: 'release', syncSeconds: SYNC, caBundle }).chart));
    await apply(
      chartYaml(
        gitSite({
          namespace: siteNs,
          name: 'site-b',
          repository,
          ref: 'main',
          syncSeconds: SYNC,
          nativeSidecar: true,
          drainSleepActionSeconds: 3,
          caBundle,
        }).chart,
      ),
    );
  }),
  90_000,
);

test(
  'the init container clones the ref, and httpd serves the files at that ref (and no git metadata)',
  t(async () => {
    const pod = await sitePod('site-a');
    const clone = containerStatus(pod, 'git-clone');
    expect(clone.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const logs = await kubectl(['logs', '-n', siteNs, pod.metadata.name, '-c', 'git-clone']);
    expect(logs.stdout).toContain(`git-site: serving ${heads.release}`);
    const pf = await portForward(siteNs, `pod/${pod.metadata.name}`, 80);
    try {
      const get = (path: string) => waitFor(`GET ${path}`, () => httpGet(pf.port, path), { timeoutMs: 20_000 });
      const index = await get('/');
      expect(index.status).toBe(200);
      expect(index.body.toString()).toBe(page('release', 1));
      expect((await get('/only-on-main.html')).status).toBe(404);
      for (const path of ['/.git/HEAD', '/.git', '/HEAD', '/config', '/remote']) {
        expect([path, (await get(path)).status]).toEqual([path, 404]);
      }
      // httpd refuses a path that climbs out of the DocumentRoot.
      expect((await get('/../git/HEAD')).status).toBe(400);
    } finally {
      pf.close();
    }
  }),
  150_000,
);

test(
  `the sync sidecar serves a newly pushed commit within syncInterval (${SYNC} s) + ${SYNC_MARGIN} s`,
  t(async () => {
    const pod = await sitePod('site-a');
    const pf: PortForward = await portForward(siteNs, `pod/${pod.metadata.name}`, 80);
    try {
      await waitFor('the site', async () => (await httpGet(pf.port, '/')).body.toString() === page('release', 1), { timeoutMs: 20_000 });
      const pushedAt = Date.now();
      heads.release = repo.commit('release', { 'index.html': page('release', 2), 'new.html': 'new\n' }, 'release v2');
      await waitFor('the new commit to be served', async () => (await httpGet(pf.port, '/')).body.toString() === page('release', 2), {
        timeoutMs: (SYNC + SYNC_MARGIN) * 1000,
        intervalMs: 250,
      });
      const seconds = (Date.now() - pushedAt) / 1000;
      process.stdout.write(`[e2e] the sync sidecar served the new commit ${seconds.toFixed(1)} s after the push (interval ${SYNC} s)\n`);
      expect((await httpGet(pf.port, '/new.html')).status).toBe(200);
    } finally {
      pf.close();
    }
    await waitForLogLine(siteNs, pod.metadata.name, 'git-sync', `git-site: serving ${heads.release}`);
  }),
  90_000,
);

const CTR = '/tmp/kube-kit/node-root/usr/bin/ctr';
const CONTAINERD = '/tmp/kube-kit/data/node/containerd/containerd.sock';
// Only the kit lets the suite kill a pod sandbox (the way a node makes init containers run again).
const onKit = existsSync(CTR) && existsSync(CONTAINERD) ? test : test.skip;

onKit(
  'a restarted init container (the pod sandbox killed) succeeds on the volume it already filled',
  t(async () => {
    const pod = await sitePod('site-a');
    const ctr = (...args: string[]) => run(CTR, ['--address', CONTAINERD, '-n', 'k8s.io', ...args], { timeoutMs: 20_000 });
    const sandbox = (
      await ctr('containers', 'ls', '-q', `labels."io.kubernetes.pod.uid"==${pod.metadata.uid},labels."io.cri-containerd.kind"==sandbox`)
    ).stdout
      .trim()
      .split('\n')
      .filter(Boolean);
    expect(sandbox).toHaveLength(1);
    await ctr('tasks', 'kill', '-s', 'SIGKILL', sandbox[0]);
    const again = await waitFor(
      'the init container to run again and the pod to be Ready',
      async () => {
        const p = await getJson(['pod', '-n', siteNs, pod.metadata.name]);
        const clone = containerStatus(p, 'git-clone');
        const ready = (p.status.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True');
        return clone?.restartCount >= 1 && clone.state.terminated && ready ? p : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(containerStatus(again, 'git-clone').state.terminated.exitCode).toBe(0);
    const logs = await kubectl(['logs', '-n', siteNs, pod.metadata.name, '-c', 'git-clone']);
    // The ref has not moved since the sidecar's update: nothing fetched.
    expect(logs.stdout).toBe('git-site: branch or tag release is up to date\n');
    const res = await getThroughPortForward(siteNs, `pod/${pod.metadata.name}`, 80, '/');
    expect(res.body.toString()).toBe(page('release', 2));
  }),
  150_000,
);

test(
  'nativeSidecar: the sidecar is an init container with restartPolicy Always, starts before httpd and stops after it',
  t(async () => {
    const pod = await sitePod('site-b');
    const spec = pod.spec.initContainers.find((c: Json) => c.name === 'git-sync');
    expect(spec.restartPolicy).toBe('Always');
    expect(pod.spec.containers.map((c: Json) => c.name)).toEqual(['httpd']);
    const res = await getThroughPortForward(siteNs, `pod/${pod.metadata.name}`, 80, '/');
    expect(res.body.toString()).toBe(page('main', 1));

    const clone = containerStatus(pod, 'git-clone').state.terminated;
    const sync = containerStatus(pod, 'git-sync');
    const httpd = containerStatus(pod, 'httpd');
    expect(sync.started).toBe(true);
    const time = (s: string) => Date.parse(s);
    // Timestamps have whole seconds.
    expect(time(clone.finishedAt)).toBeLessThanOrEqual(time(sync.state.running.startedAt));
    expect(time(sync.state.running.startedAt)).toBeLessThanOrEqual(time(httpd.state.running.startedAt));

    const watch = await watchPod(siteNs, pod.metadata.name);
    const deletedAt = Date.now();
    await kubectl(['delete', 'pod', '-n', siteNs, pod.metadata.name, '--wait=false']);
    const gone = await watch.deleted(60_000);
    watch.stop();
    const httpdEnd = time(containerStatus(gone.object, 'httpd').state.terminated.finishedAt);
    const syncEnd = time(containerStatus(gone.object, 'git-sync').state.terminated.finishedAt);
    // httpd's preStop (drainDelay 3 s, the kubelet's sleep action) waits 3 s; a regular sidecar would get SIGTERM at once and exit
    // first; the native one is stopped only after httpd exited.
    process.stdout.write(
      `[e2e] native sidecar: delete at ${new Date(deletedAt).toISOString()}, httpd finished ${new Date(httpdEnd).toISOString()}, git-sync finished ${new Date(syncEnd).toISOString()}\n`,
    );
    expect(httpdEnd).toBeGreaterThanOrEqual(Math.floor(deletedAt / 1000) * 1000 + 2000);
    expect(syncEnd).toBeGreaterThanOrEqual(httpdEnd);
  }),
  150_000,
);

test(
  'a pinned commit (ref is a full commit id): exactly that commit is served after its branch moved on',
  t(async () => {
    expect(heads.release).not.toBe(releaseV1);
    await apply(chartYaml(gitSite({ namespace: siteNs, name: 'site-c', repository, ref: releaseV1, caBundle }).chart));
    const pod = await sitePod('site-c');
    const logs = await kubectl(['logs', '-n', siteNs, pod.metadata.name, '-c', 'git-clone']);
    expect(logs.stdout).toContain(`git-site: serving ${releaseV1}`);
    const res = await getThroughPortForward(siteNs, `pod/${pod.metadata.name}`, 80, '/');
    expect(res.body.toString()).toBe(page('release', 1));
  }),
  150_000,
);

test(
  'without certificateAuthority the private CA is not trusted: the clone fails on the certificate, nothing is served',
  t(async () => {
    await apply(chartYaml(gitSite({ namespace: siteNs, name: 'site-d', repository, ref: 'release' }).chart));
    const logs = await waitFor(
      'the init container to fail on the certificate',
      async () => {
        const list = await getJson(['pods', '-n', siteNs, '-l', 'e2e-app=site-d']);
        const pod = list.items[0];
        const clone = pod && (pod.status.initContainerStatuses ?? []).find((c: Json) => c.name === 'git-clone');
        if (!clone || (clone.restartCount < 1 && !clone.state.terminated)) return undefined;
        const r = await kubectl(
          ['logs', '-n', siteNs, pod.metadata.name, '-c', 'git-clone', ...(clone.state.terminated ? [] : ['--previous'])],
          {
            allowFail: true,
          },
        );
        return /certificate/i.test(r.stdout + r.stderr) ? r.stdout + r.stderr : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(logs).toMatch(/server (certificate )?verification failed|certificate signer not trusted|certificate verify failed/);
  }),
  90_000,
);

test(
  'afterUpdateCommand: the sync sidecar runs it once for the first tree and once per new commit, with the commit in its environment',
  t(async () => {
    const command = ['/bin/sh', '-c', 'echo "after-update $GIT_SITE_REF $GIT_SITE_COMMIT"'];
    await apply(
      chartYaml(
        gitSite({ namespace: siteNs, name: 'site-e', repository, ref: 'main', syncSeconds: SYNC, afterUpdateCommand: command, caBundle })
          .chart,
      ),
    );
    const pod = await sitePod('site-e');
    const ran = (commit: string) => async () => {
      const r = await kubectl(['logs', '-n', siteNs, pod.metadata.name, '-c', 'git-sync'], { allowFail: true });
      return r.stdout.split('\n').filter((line) => line === `after-update main ${commit}`).length === 1 ? r.stdout : undefined;
    };
    await waitFor('the command for the first tree', ran(heads.main), { timeoutMs: (SYNC + SYNC_MARGIN) * 1000 });
    heads.main = repo.commit('main', { 'index.html': page('main', 2) }, 'main v2');
    const logs = await waitFor('the command for the new commit', ran(heads.main), { timeoutMs: (SYNC + SYNC_MARGIN) * 1000 });
    expect(logs.split('\n').filter((line) => line.startsWith('after-update ')).length).toBe(2);
  }),
  120_000,
);

test(
  "submodules: 'shallow' clones a submodule on the same server (relative URL, the same CA), and serves it without its .git",
  t(async () => {
    const commit = repo.commitSubmodule('with-sub', 'sub', { 'sub.html': 'from the submodule\n' });
    await apply(
      chartYaml(gitSite({ namespace: siteNs, name: 'site-f', repository, ref: 'with-sub', submodules: 'shallow', caBundle }).chart),
    );
    const pod = await sitePod('site-f');
    const logs = await kubectl(['logs', '-n', siteNs, pod.metadata.name, '-c', 'git-clone']);
    expect(logs.stdout).toContain(`git-site: serving ${commit}`);
    const pf = await portForward(siteNs, `pod/${pod.metadata.name}`, 80);
    try {
      const sub = await waitFor('GET /sub/sub.html', () => httpGet(pf.port, '/sub/sub.html'), { timeoutMs: 20_000 });
      expect([sub.status, sub.body.toString()]).toEqual([200, 'from the submodule\n']);
      expect((await httpGet(pf.port, '/sub/.git')).status).toBe(404);
    } finally {
      pf.close();
    }
  }),
  150_000,
);

test(
  'subPath: httpd serves only that directory, and only it (with the files at the root) is checked out: a sparse checkout of a partial clone',
  t(async () => {
    const docs = repo.commit(
      'docs',
      { 'docs/index.html': 'docs v1\n', 'docs/more.html': 'more\n', 'other/big.html': 'other\n' },
      'docs v1',
    );
    await apply(chartYaml(gitSite({ namespace: siteNs, name: 'site-docs', repository, ref: 'docs', subPath: 'docs', caBundle }).chart));
    const pod = await sitePod('site-docs');
    const logs = await kubectl(['logs', '-n', siteNs, pod.metadata.name, '-c', 'git-clone']);
    expect(logs.stdout).toContain(`git-site: serving ${docs}`);
    // The server allows filters: no "filtering not recognized by server" (a plain fetch).
    expect(logs.stdout + logs.stderr).not.toMatch(/filtering not recognized/);
    const listing = await kubectl([
      'exec',
      '-n',
      siteNs,
      pod.metadata.name,
      '-c',
      'httpd',
      '--',
      'sh',
      '-c',
      'cd /usr/local/apache2/htdocs && ls -A site && echo --- && ls -A .git-site.*/tree',
    ]);
    const [served, tree] = listing.stdout.split('---\n');
    expect(served.split('\n').filter(Boolean)).toEqual(['index.html', 'more.html']);
    expect(tree.split('\n').filter(Boolean)).toContain('docs');
    expect(tree.split('\n').filter(Boolean)).not.toContain('other');
  }),
  150_000,
);
