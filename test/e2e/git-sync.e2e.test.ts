// Issue 21, part 1, on the kit: a GitClonedSiteInit with the sync sidecar (a 2 s interval)
// follows three commits pushed one after another to the in-cluster git server and serves
// each. The page is read from inside the pod (httpd's container asks httpd over loopback),
// never from the host; the site volume is listed from the sidecar: one
// repository, at most two snapshot trees, no git state in the served tree.
import { startGitServer } from '../../scripts/load/workloads';
import { gitSite } from './support/charts';
import { HostRepo } from './support/git-server';
import { GIT_CLONE_LAYOUT, GIT_SITE } from './support/lib';
import {
  Json,
  apply,
  chartYaml,
  createNamespace,
  deleteNamespaces,
  exec,
  getJson,
  randomSuffix,
  removePath,
  trackPath,
  waitFor,
  waitForLogLine,
  waitPodReady,
  withDiagnostics,
} from './support/kube';

const hostDir = trackPath(`/tmp/e2e-git-sync-${randomSuffix()}`);
const SYNC = 2;
let serverNs = '';
let siteNs = '';
let repo: HostRepo;
const page = (version: number) => `<h1>sync v${version}</h1>\n`;

// GET `path` from httpd over the pod's loopback (bash's /dev/tcp: the image has no HTTP client).
const GET = 'exec 3<>/dev/tcp/127.0.0.1/80 && printf \'GET %s HTTP/1.0\\r\\nHost: site\\r\\n\\r\\n\' "$1" >&3 && cat <&3';

async function served(pod: string, path = '/'): Promise<{ status: string; body: string }> {
  const r = await exec(siteNs, pod, 'httpd', ['/bin/bash', '-c', GET, 'get', path], { timeoutMs: 15_000 });
  const at = r.stdout.indexOf('\r\n\r\n');
  return { status: r.stdout.split('\r\n')[0], body: at < 0 ? '' : r.stdout.slice(at + 4) };
}

/** The entries of the site volume (`ls -a` in the sidecar) and of the served tree. */
async function volume(pod: string): Promise<{ top: string[]; tree: string[] }> {
  const ls = async (dir: string) =>
    (await exec(siteNs, pod, 'git-sync', ['ls', '-a', dir])).stdout.split('\n').filter((e) => e && e !== '.' && e !== '..');
  return { top: await ls(GIT_SITE.mountPath), tree: await ls(`${GIT_SITE.mountPath}/${GIT_CLONE_LAYOUT.linkName}/`) };
}

beforeAll(async () => {
  [serverNs, siteNs] = await Promise.all([createNamespace('git-sync-server', 'privileged'), createNamespace('git-sync', 'restricted')]);
  repo = new HostRepo(hostDir);
  repo.commit('main', { 'index.html': page(1) }, 'v1');
}, 30_000);

afterAll(async () => {
  await deleteNamespaces([siteNs, serverNs]);
  removePath(hostDir);
}, 60_000);

test(
  `the sync sidecar (every ${SYNC} s) serves each of three commits pushed one after another`,
  withDiagnostics(
    () => [siteNs, serverNs],
    async () => {
      const { url, ca } = await startGitServer(serverNs, repo, hostDir);
      await apply(
        chartYaml(gitSite({ namespace: siteNs, name: 'sync', repository: url, ref: 'main', syncSeconds: SYNC, caBundle: ca }).chart),
      );
      const name = await waitFor(
        'the site pod',
        async () => (await getJson(['pods', '-n', siteNs, '-l', 'e2e-app=sync'])).items.map((p: Json) => p.metadata.name)[0],
        { timeoutMs: 30_000 },
      );
      await waitPodReady(siteNs, name, 60_000);
      expect(await served(name)).toEqual({ status: 'HTTP/1.1 200 OK', body: page(1) });
      for (const version of [2, 3, 4]) {
        const pushedAt = Date.now();
        const commit = repo.commit('main', { 'index.html': page(version), [`v${version}.html`]: `${version}\n` }, `v${version}`);
        await waitFor(`v${version} to be served`, async () => (await served(name)).body === page(version), {
          timeoutMs: 20_000,
          intervalMs: 250,
        });
        process.stdout.write(`[e2e] v${version} served ${((Date.now() - pushedAt) / 1000).toFixed(1)} s after the push\n`);
        expect((await served(name, `/v${version}.html`)).body).toBe(`${version}\n`);
        await waitForLogLine(siteNs, name, 'git-sync', `git-site: serving ${commit}`);
        const { top, tree } = await volume(name);
        process.stdout.write(`[e2e] the site volume after v${version}: ${top.join(' ')}\n`);
        // One repository for every update, the served tree and at most the one before it,
        // and no git state in the served tree.
        expect(top.filter((e) => e === GIT_CLONE_LAYOUT.repositoryDir)).toHaveLength(1);
        expect(top.filter((e) => e.startsWith(GIT_CLONE_LAYOUT.snapshotPrefix)).length).toBeLessThanOrEqual(2);
        expect(tree).not.toContain('.git');
      }
      expect((await served(name, '/.git/HEAD')).status).toBe('HTTP/1.1 404 Not Found');
    },
  ),
  // 25 s on a quiet kit; room for pod starts under load (the suite runs two files at once).
  120_000,
);
