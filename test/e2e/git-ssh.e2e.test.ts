// Issue 21, part 5: GitClonedSiteInit's ssh transport on a real kubelet. A private
// repository behind sshd in the cluster (support/ssh-git-server.ts), read with a deploy key
// and a pinned host key from a `kubernetes.io/ssh-auth` Secret (GitCredentials.ssh): cloned,
// synced, and refused when the pinned key is not the server's.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { gitSite } from './support/charts';
import { HostRepo } from './support/git-server';
import { GitCredentials } from './support/lib';
import { SSH_HOST_KEY_PUB, SshKeyPair, sshGitServerObjects, sshKeyPair } from './support/ssh-git-server';
import {
  Json,
  apply,
  chartYaml,
  containerStatus,
  createNamespace,
  deleteNamespaces,
  exec,
  getJson,
  getThroughPortForward,
  kubectl,
  objectsYaml,
  randomSuffix,
  removePath,
  trackPath,
  waitFor,
  waitForLogLine,
  waitPodReady,
  withDiagnostics,
} from './support/kube';

const hostDir = trackPath(`/tmp/e2e-git-ssh-${randomSuffix()}`);
const SERVER = 'ssh-git-server';
const SYNC = 5;
const SYNC_MARGIN = 15;
let serverNs = '';
let siteNs = '';
let repo: HostRepo;
let deployKey: SshKeyPair;
let repository = '';
let knownHosts = '';
let serverIp = '';
const t = (body: () => Promise<void>) => withDiagnostics(() => [siteNs, serverNs], body);

const page = (version: number) => `<h1>private v${version}</h1>\n`;

/** A `kubernetes.io/ssh-auth` Secret with the deploy key and `known_hosts`. */
function sshSecret(name: string, hosts: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: siteNs },
    type: 'kubernetes.io/ssh-auth',
    stringData: { 'ssh-privatekey': deployKey.privateKey, known_hosts: hosts },
  };
}

function sshSiteYaml(name: string, secretName: string): string {
  // A reference to the Secret applied beside the site (the key never enters the chart).
  const credentials = GitCredentials.ssh(kplus.Secret.fromSecretName(new Chart(new App(), 'refs'), 'secret', secretName));
  return chartYaml(gitSite({ namespace: siteNs, name, repository, ref: 'main', syncSeconds: SYNC, credentials }).chart);
}

async function onlyPod(app: string): Promise<Json> {
  return waitFor(
    `one pod of ${app}`,
    async () => {
      const list = await getJson(['pods', '-n', siteNs, '-l', `e2e-app=${app}`]);
      const live = list.items.filter((p: Json) => !p.metadata.deletionTimestamp);
      return live.length === 1 ? live[0] : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

beforeAll(async () => {
  [serverNs, siteNs] = await Promise.all([createNamespace('ssh-server', 'privileged'), createNamespace('ssh-site', 'restricted')]);
  repo = new HostRepo(hostDir);
  repo.commit('main', { 'index.html': page(1) }, 'v1');
  deployKey = sshKeyPair(hostDir, 'deploy-key');
}, 30_000);

afterAll(async () => {
  await deleteNamespaces([siteNs, serverNs]);
  removePath(hostDir);
}, 60_000);

test(
  'sshd runs in the cluster; the suite pins the host key it made',
  t(async () => {
    await apply(objectsYaml(sshGitServerObjects(serverNs, SERVER, hostDir, deployKey.publicKey)));
    const pod = await waitPodReady(serverNs, SERVER, 60_000);
    const ip: string = pod.status.podIP;
    const hostKey = (await exec(serverNs, SERVER, 'sshd', ['cat', SSH_HOST_KEY_PUB])).stdout.trim().split(' ').slice(0, 2).join(' ');
    expect(hostKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+$/);
    serverIp = ip;
    knownHosts = `${ip} ${hostKey}\n`;
    repository = `ssh://root@${ip}/srv/git/site.git`;
  }),
  90_000,
);

test(
  'a deploy key and the pinned host key: the init container clones over ssh and the sidecar syncs a new commit',
  t(async () => {
    await apply(objectsYaml([sshSecret('deploy-key', knownHosts)]));
    await apply(sshSiteYaml('site-ssh', 'deploy-key'));
    const pod = await waitPodReady(siteNs, (await onlyPod('site-ssh')).metadata.name, 120_000);
    const name = pod.metadata.name;
    expect(containerStatus(pod, 'git-clone').state.terminated).toMatchObject({ exitCode: 0 });
    const clone = await kubectl(['logs', '-n', siteNs, name, '-c', 'git-clone']);
    expect(clone.stdout).toContain('git-site: serving ');
    expect((await getThroughPortForward(siteNs, `pod/${name}`, 80, '/')).body.toString()).toBe(page(1));

    const head = repo.commit('main', { 'index.html': page(2) }, 'v2');
    await waitFor(
      'the sidecar to serve v2',
      async () => (await getThroughPortForward(siteNs, `pod/${name}`, 80, '/')).body.toString() === page(2),
      { timeoutMs: (SYNC + SYNC_MARGIN) * 1000, intervalMs: 1000 },
    );
    await waitForLogLine(siteNs, name, 'git-sync', `git-site: serving ${head}`);
    // The server saw the deploy key, and nothing else got in.
    const sshd = await kubectl(['logs', '-n', serverNs, SERVER]);
    expect(sshd.stdout + sshd.stderr).toMatch(/Accepted publickey for root .* ED25519/);
  }),
  150_000,
);

test(
  'a pinned host key that is not the server\'s: the clone is refused ("Host key verification failed"), nothing is served',
  t(async () => {
    const other = sshKeyPair(hostDir, 'impostor-host-key').publicKey.split(' ').slice(0, 2).join(' ');
    await apply(objectsYaml([sshSecret('wrong-host-key', `${serverIp} ${other}\n`)]));
    await apply(sshSiteYaml('site-wrong-key', 'wrong-host-key'));
    const logs = await waitFor(
      'the init container to fail on the host key',
      async () => {
        const pod = await onlyPod('site-wrong-key');
        const clone = (pod.status.initContainerStatuses ?? []).find((c: Json) => c.name === 'git-clone');
        if (!clone || (clone.restartCount < 1 && !clone.state.terminated)) return undefined;
        const r = await kubectl(
          ['logs', '-n', siteNs, pod.metadata.name, '-c', 'git-clone', ...(clone.state.terminated ? [] : ['--previous'])],
          { allowFail: true },
        );
        return /host key/i.test(r.stdout + r.stderr) ? r.stdout + r.stderr : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(logs).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
    const pod = await onlyPod('site-wrong-key');
    expect((pod.status.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True')).toBe(false);
  }),
  120_000,
);
