import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart, Duration, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  GIT_CLONE_LAYOUT,
  GitCertificateAuthority,
  GitClonedSiteInit,
  GitClonedSiteInitProps,
  GitCredentials,
  PropError,
  SecurityPreset,
  shellQuote,
} from '../../lib';
import { assertValidManifests, findSchemaViolations } from '../../lib/testing/k8s-schema';
import { GitClonedSiteChart, PrivateGitSiteChart } from '../../examples/git-cloned-site';
import { TestRepo } from '../support/git-repo';
import { HOSTILE_STRINGS } from '../support/hostile';
import { Manifest, newChart, only, synthValid } from '../support/manifests';
import { runWithShell, tempDir } from '../support/run';

const REPO = 'https://git.example.com/org/site.git';

function pieces(manifests: Manifest[]) {
  const deployment = only(manifests, 'Deployment');
  const spec = deployment.spec.template.spec;
  return { manifests, deployment, spec, service: only(manifests, 'Service'), httpd: spec.containers[0], init: spec.initContainers[0] };
}

function synth(props: Partial<GitClonedSiteInitProps> = {}, chart: Chart = newChart()) {
  const site = new GitClonedSiteInit(chart, 'site', { repository: REPO, ...props });
  return { site, ...pieces(synthValid(chart)) };
}

function deployKey(chart: Chart) {
  return kplus.Secret.fromSecretName(chart, 'DeployKey', 'deploy-key');
}

/** Runs a container's command from the manifest in `dir` (its working directory, the volume). */
function runContainer(container: Manifest, dir: string, env: Record<string, string> = {}) {
  const containerEnv = Object.fromEntries((container.env ?? []).map((e: Manifest) => [e.name, e.value]));
  return runWithShell(container.command, 'sh', { cwd: dir, env: { ...containerEnv, HOME: tempDir('home-'), ...env } });
}

describe('synthesized objects', () => {
  test('a Deployment of 2 pods and a NodePort Service selecting them, valid Kubernetes 1.27', () => {
    const { manifests, deployment, service, site } = synth();
    expect(manifests.map((m) => m.kind)).toEqual(['Deployment', 'Service', 'PodDisruptionBudget']);
    // Kubernetes needs a name: a generated one unless given.
    expect(deployment.metadata.name).toMatch(/^test-site-deployment-c8[0-9a-f]{6}$/);
    expect(service.metadata.name).toMatch(/^test-site-service-c8[0-9a-f]{6}$/);
    expect(deployment.spec.replicas).toBe(2);
    expect(service.spec.type).toBe('NodePort');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 80 }]);
    const podLabels = deployment.spec.template.metadata.labels;
    expect(Object.keys(service.spec.selector).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(service.spec.selector)) expect(podLabels[key]).toBe(value);
    expect(site.deployment).toBeInstanceOf(kplus.Deployment);
    expect(site.service).toBeInstanceOf(kplus.Service);
    expect(site.deployment.containers).toEqual([site.container]);
    expect(site.deployment.initContainers).toEqual([site.initContainer]);
    expect(site.syncContainer).toBeUndefined();
  });

  test('names, labels, replicas and the Service are configurable', () => {
    const { deployment, service } = synth({
      deploymentName: 'httpd-git-site',
      labels: { component: 'httpd' },
      replicas: 3,
      serviceName: 'site',
      serviceType: kplus.ServiceType.CLUSTER_IP,
      servicePort: 8080,
    });
    expect(deployment.metadata).toEqual({ name: 'httpd-git-site', labels: { component: 'httpd' } });
    expect(deployment.spec.template.metadata.labels.component).toBe('httpd');
    expect(deployment.spec.replicas).toBe(3);
    expect(service.metadata).toEqual({ name: 'site', labels: { component: 'httpd' } });
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 80 }]);
    expect(synth({ nodePort: 30081 }).service.spec.ports[0].nodePort).toBe(30081);
  });

  test('the init container runs the clone script with alpine/git as sh -c (its entrypoint is git), non-root, in the site volume', () => {
    const { init, site } = synth();
    expect(init.name).toBe('git-clone');
    expect(init.image).toBe('alpine/git:2.54.0');
    expect(init.imagePullPolicy).toBe('IfNotPresent');
    expect(init.command).toEqual(['/bin/sh', '-c', site.script.initScript.render()]);
    expect(init.args).toBeUndefined();
    expect(init.workingDir).toBe('/git');
    expect(init.env).toEqual([{ name: 'HOME', value: '/tmp' }]);
    expect(init.volumeMounts).toEqual([
      { mountPath: '/git', name: 'git-site' },
      { mountPath: '/tmp', name: 'git-home' },
    ]);
    expect(init.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 65534,
      runAsNonRoot: true,
      runAsUser: 65534,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(init.resources).toEqual({
      limits: { cpu: '500m', 'ephemeral-storage': '2Gi', memory: '512Mi' },
      requests: { cpu: '50m', memory: '64Mi' },
    });
    expect(init.command[2]).toContain(`timeout -k 5 '300' git`);
    expect(init.command[2]).toContain(`net_git ls-remote ls-remote -- ${shellQuote(REPO)} HEAD)`);
    expect(init.command[2]).toContain(`config remote.origin.url ${shellQuote(REPO)}`);
    // An update stops at half the site volume's limit: the old tree stays while the next is fetched.
    expect(init.command[2]).toContain(`if [ "$size" -gt '524288' ]; then`);
  });

  test('httpd serves the published tree read-only, through the link the document root points at', () => {
    const { httpd, spec } = synth();
    expect(httpd.name).toBe('httpd');
    expect(httpd.image).toBe('httpd:2.4.69');
    expect(httpd.command).toEqual(['httpd-foreground', '-c', `DocumentRoot "/usr/local/apache2/htdocs/${GIT_CLONE_LAYOUT.linkName}"`]);
    expect(httpd.volumeMounts).toEqual([
      { mountPath: '/usr/local/apache2/htdocs', name: 'git-site', readOnly: true },
      { mountPath: '/usr/local/apache2/logs', name: 'httpd-logs' },
    ]);
    expect(httpd.securityContext.runAsUser).toBe(10001);
    expect(spec.securityContext).toEqual({
      fsGroup: 10001,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }],
    });
    expect(spec.volumes).toEqual([
      { name: 'git-site', emptyDir: { sizeLimit: '1024Mi' } },
      { name: 'httpd-logs', emptyDir: {} },
      { name: 'git-home', emptyDir: {} },
    ]);
    expect(spec.automountServiceAccountToken).toBe(false);
  });

  test('syncInterval adds a regular sidecar container with the same mounts, running the loop', () => {
    const { spec, site, init } = synth({ syncInterval: Duration.seconds(30) });
    const sync = spec.containers[1];
    expect(spec.containers.map((c: Manifest) => c.name)).toEqual(['httpd', 'git-sync']);
    expect(spec.initContainers).toHaveLength(1);
    expect(sync.command).toEqual(['/bin/sh', '-c', site.script.syncScript(30).render()]);
    expect(sync.restartPolicy).toBeUndefined();
    for (const field of ['image', 'workingDir', 'env', 'volumeMounts', 'securityContext', 'resources'])
      expect(sync[field]).toEqual(init[field]);
    expect(site.syncContainer).toBe(site.deployment.containers[1]);
    expect(synth({ syncInterval: Duration.minutes(2) }).spec.containers[1].command[2]).toContain("sleep '120' &");
  });

  test('git image, pull policy, resources and security are configurable', () => {
    const { init } = synth({
      gitImage: 'registry.example.com/git:latest',
      gitResources: { cpu: { request: kplus.Cpu.millis(10) } },
      gitSecurityPreset: SecurityPreset.restricted({ user: 1000, group: 1000 }),
    });
    expect(init.image).toBe('registry.example.com/git:latest');
    expect(init.imagePullPolicy).toBe('Always');
    expect(init.resources).toEqual({ requests: { cpu: '10m' } });
    expect(init.securityContext.runAsUser).toBe(1000);
  });

  test('snapshot', () => {
    expect(synth({ deploymentName: 'site', serviceName: 'site' }).manifests).toMatchSnapshot();
  });
});

describe('disruption and spreading (replicas > 1)', () => {
  test('a PodDisruptionBudget of maxUnavailable 1 selects exactly the pods', () => {
    const { site, manifests, deployment } = synth({ deploymentName: 'site', labels: { component: 'httpd' } });
    const pdb = only(manifests, 'PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.metadata).toMatchObject({ name: 'site', labels: { component: 'httpd' } });
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } });
    for (const [key, value] of Object.entries(pdb.spec.selector.matchLabels)) {
      expect(deployment.spec.template.metadata.labels[key]).toBe(value);
    }
    expect(site.podDisruptionBudget).toBeDefined();
  });

  test('replicas prefer different nodes: a preferred pod anti-affinity on kubernetes.io/hostname against their own pods', () => {
    const { spec, deployment } = synth();
    expect(spec.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: 'kubernetes.io/hostname',
              labelSelector: { matchLabels: deployment.spec.selector.matchLabels },
            },
          },
        ],
      },
    });
  });

  test('one replica: neither by default; both switchable', () => {
    const single = synth({ replicas: 1 });
    expect(single.manifests.map((m) => m.kind)).toEqual(['Deployment', 'Service']);
    expect(single.spec.affinity).toBeUndefined();
    expect(single.site.podDisruptionBudget).toBeUndefined();
    const off = synth({ podDisruptionBudget: false, spreadAcrossNodes: false });
    expect(off.manifests.map((m) => m.kind)).toEqual(['Deployment', 'Service']);
    expect(off.spec.affinity).toBeUndefined();
    const on = synth({ replicas: 1, podDisruptionBudget: true, spreadAcrossNodes: true });
    expect(on.manifests.map((m) => m.kind)).toEqual(['Deployment', 'Service', 'PodDisruptionBudget']);
    expect(on.spec.affinity.podAntiAffinity).toBeDefined();
  });
});

describe('the native sidecar (Kubernetes 1.29+)', () => {
  const pointer = '/spec/template/spec/initContainers/1/restartPolicy';

  test('the sync loop becomes an init container with restartPolicy Always, after the clone', () => {
    const chart = newChart();
    const site = new GitClonedSiteInit(chart, 'site', {
      repository: REPO,
      syncInterval: Duration.seconds(30),
      nativeSidecar: true,
      deploymentName: 'site',
    });
    const manifests = Testing.synth(chart);
    const { spec } = pieces(manifests);
    expect(spec.initContainers.map((c: Manifest) => c.name)).toEqual(['git-clone', 'git-sync']);
    expect(spec.initContainers[1].restartPolicy).toBe('Always');
    expect(spec.initContainers[0].restartPolicy).toBeUndefined();
    expect(spec.containers.map((c: Manifest) => c.name)).toEqual(['httpd']);
    expect(site.syncContainer).toBe(site.deployment.initContainers[1]);
    // The 1.27 schema knows no such field: exactly that one violation, and nothing else.
    expect(findSchemaViolations(manifests)).toEqual([
      { object: 'Deployment/site', path: pointer, message: 'is not a field of this object' },
    ]);
    delete spec.initContainers[1].restartPolicy;
    assertValidManifests(manifests);
  });

  test('the field reaches the YAML files app.synth() writes', () => {
    const outdir = tempDir('synth-');
    const app = new App({ outdir });
    new GitClonedSiteInit(new Chart(app, 'native'), 'site', { repository: REPO, syncInterval: Duration.seconds(30), nativeSidecar: true });
    app.synth();
    const [deployment] = Yaml.load(join(outdir, 'native.k8s.yaml'));
    expect(deployment.spec.template.spec.initContainers[1]).toMatchObject({ name: 'git-sync', restartPolicy: 'Always' });
    // The pod's own restartPolicy, and the sidecar's.
    expect(app.synthYaml().match(/restartPolicy: Always/g)).toHaveLength(2);
  });
});

describe('private repositories', () => {
  test('ssh: the Secret is mounted read-only with mode 0400, in the git containers only', () => {
    const chart = newChart();
    const { spec, httpd, init } = synth(
      { repository: 'git@github.com:org/site.git', credentials: GitCredentials.ssh(deployKey(chart)), syncInterval: Duration.seconds(60) },
      chart,
    );
    expect(spec.volumes).toContainEqual({
      name: 'git-credentials',
      secret: {
        secretName: 'deploy-key',
        defaultMode: 0o400,
        items: [
          { key: 'known_hosts', path: 'known_hosts' },
          { key: 'ssh-privatekey', path: 'ssh-privatekey' },
        ],
      },
    });
    const mount = { mountPath: '/etc/git-site-credentials', name: 'git-credentials', readOnly: true };
    expect(init.volumeMounts).toContainEqual(mount);
    expect(spec.containers[1].volumeMounts).toContainEqual(mount);
    expect(httpd.volumeMounts).not.toContainEqual(mount);
    expect(init.command[2]).toContain(
      "GIT_SSH_COMMAND='ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityFile=/etc/git-site-credentials/ssh-privatekey -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/etc/git-site-credentials/known_hosts",
    );
    expect(init.command[2]).toContain("GIT_ALLOW_PROTOCOL='ssh'");
    // Read through the pod's fsGroup: the kubelet makes the files group-readable by it.
    expect(spec.securityContext.fsGroup).toBe(10001);
  });

  test('https: a basic-auth Secret (keys of your choice) read by a credential helper', () => {
    const chart = newChart();
    const { spec, init } = synth(
      { credentials: GitCredentials.https(deployKey(chart), { usernameKey: 'user', passwordKey: 'token' }) },
      chart,
    );
    expect(spec.volumes[3].secret.items).toEqual([
      { key: 'token', path: 'password' },
      { key: 'user', path: 'username' },
    ]);
    expect(init.command[2]).toContain("cat '\\''/etc/git-site-credentials/password'\\''");
    expect(init.command[2]).toContain("GIT_ALLOW_PROTOCOL='https'");
  });
});

describe('a private CA', () => {
  test.each([
    [
      'a Secret',
      (chart: Chart) => GitCertificateAuthority.fromSecret(kplus.Secret.fromSecretName(chart, 'Ca', 'corp-ca')),
      { secret: { secretName: 'corp-ca' } },
    ],
    [
      'a ConfigMap',
      (chart: Chart) =>
        GitCertificateAuthority.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'Ca', 'corp-ca'), { key: 'bundle.pem' }),
      { configMap: { name: 'corp-ca' } },
    ],
  ])("from %s: mounted read-only (0444) in the git containers only, trusted for the repository's server only", (_, ca, source) => {
    const chart = newChart();
    const certificateAuthority = ca(chart);
    const { spec, httpd, init } = synth({ certificateAuthority, syncInterval: Duration.seconds(60) }, chart);
    const [kind, fields] = Object.entries(source)[0];
    expect(spec.volumes).toContainEqual({
      name: 'git-ca',
      [kind]: { ...fields, defaultMode: 0o444, items: [{ key: certificateAuthority.key, path: 'ca.crt' }] },
    });
    const mount = { mountPath: '/etc/git-site-ca', name: 'git-ca', readOnly: true };
    expect(init.volumeMounts).toContainEqual(mount);
    expect(spec.containers[1].volumeMounts).toContainEqual(mount);
    expect(httpd.volumeMounts).not.toContainEqual(mount);
    expect(init.command[2]).toContain("'http.https://git.example.com/.sslCAInfo=/etc/git-site-ca/ca.crt'");
    expect(init.command[2]).not.toMatch(/sslVerify/i);
    // Public certificates: no fsGroup needed, and a root preset works too.
    expect(
      () =>
        new GitClonedSiteInit(newChart(), 'root', {
          repository: REPO,
          certificateAuthority,
          securityPreset: SecurityPreset.baselineRoot(),
        }),
    ).not.toThrow();
  });

  test('with https credentials: both scoped to the server', () => {
    const chart = newChart();
    const { init } = synth(
      {
        credentials: GitCredentials.https(deployKey(chart)),
        certificateAuthority: GitCertificateAuthority.fromSecret(kplus.Secret.fromSecretName(chart, 'Ca', 'corp-ca')),
      },
      chart,
    );
    expect(init.command[2]).toContain("'credential.https://git.example.com/.helper=!f()");
    expect(init.volumeMounts.map((m: Manifest) => m.mountPath)).toEqual(['/git', '/tmp', '/etc/git-site-credentials', '/etc/git-site-ca']);
  });
});

describe('a pinned commit, submodules and afterUpdateCommand in the manifest', () => {
  const commit = 'c0ffee'.padEnd(40, '0');

  test('a pinned commit: fetched by id in the init container, no ls-remote', () => {
    const { init } = synth({ ref: commit, submodules: 'recursive' });
    expect(init.command[2]).toContain(`src='${commit}'`);
    expect(init.command[2]).toContain(`fetch --quiet --no-tags --depth='1' origin "+$src:refs/git-site/fetched"`);
    expect(init.command[2]).not.toContain('ls-remote');
    expect(init.command[2]).toContain("submodule --quiet update --init '--recursive' --depth='1'");
  });

  test('afterUpdateCommand runs in the sync sidecar, not in the init container', () => {
    const { spec, init } = synth({
      afterUpdateCommand: ['/bin/sh', '-c', 'wget -q -O- http://cache/purge'],
      syncInterval: Duration.seconds(60),
    });
    expect(spec.containers[1].command[2]).toContain("timeout -k 5 '60' '/bin/sh' '-c' 'wget -q -O- http://cache/purge'");
    expect(init.command[2]).not.toContain('cache/purge');
    expect(init.command[2]).toContain(`> "$new"/'after-update-pending'`);
  });
});

describe('the scripts of the manifest, run for real', () => {
  const snapshots = (dir: string) =>
    readdirSync(dir)
      .filter((name) => name.startsWith(GIT_CLONE_LAYOUT.snapshotPrefix))
      .sort();
  const snapshot = (dir: string) => readlinkSync(join(dir, 'site')).split('/')[0];

  test('the init container publishes the default branch, again after a restart; each sync round publishes the next commit by an atomic switch and removes the tree replaced a round before', () => {
    const remote = TestRepo.create();
    const [first] = remote.add({ branch: 'main', files: { 'index.html': 'first\n' } });
    const { init, spec } = synth({ repository: remote.url, allowFileUrl: true, syncInterval: Duration.seconds(60) });
    const volume = tempDir();
    const oneRound = { [GIT_CLONE_LAYOUT.iterationsEnv]: '1' };

    const result = runContainer(init, volume);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`git-site: serving ${first}\n`);
    expect(readFileSync(join(volume, 'site', 'index.html'), 'utf8')).toBe('first\n');
    expect(existsSync(join(volume, 'site', '.git'))).toBe(false);
    expect(runContainer(init, volume).stdout).toBe('git-site: the default branch is up to date\n');
    const v1 = snapshot(volume);

    const [second] = remote.add({ branch: 'main', files: { 'index.html': 'second\n' } });
    const round = runContainer(spec.containers[1], volume, oneRound);
    expect(round.status).toBe(0);
    expect(round.stdout).toBe(`git-site: serving ${second}\n`);
    expect(readFileSync(join(volume, 'site', 'index.html'), 'utf8')).toBe('second\n');
    const v2 = snapshot(volume);
    expect(snapshots(volume)).toEqual([v1, v2].sort());

    remote.add({ branch: 'main', files: { 'index.html': 'third\n' } });
    expect(runContainer(spec.containers[1], volume, oneRound).status).toBe(0);
    expect(readFileSync(join(volume, 'site', 'index.html'), 'utf8')).toBe('third\n');
    expect(snapshots(volume)).toEqual([v2, snapshot(volume)].sort());
  });
});

describe('examples', () => {
  test("the seed's scenario: a public https repository behind svc-nodeport-httpd-git", () => {
    const { deployment, service, init } = pieces(synthValid(new GitClonedSiteChart(Testing.app(), 'git-cloned-site')));
    expect(deployment.metadata.name).toBe('httpd-git-site');
    expect(service.metadata.name).toBe('svc-nodeport-httpd-git');
    expect(service.spec.type).toBe('NodePort');
    expect(init.command[2]).toContain("'https://github.com/mdn/beginner-html-site-styled.git'");
  });

  test('a private repository over ssh with a sync sidecar', () => {
    const { spec, service, init } = pieces(synthValid(new PrivateGitSiteChart(Testing.app(), 'git-cloned-site-private')));
    expect(spec.volumes).toContainEqual(
      expect.objectContaining({ name: 'git-credentials', secret: expect.objectContaining({ secretName: 'site-deploy-key' }) }),
    );
    expect(spec.containers.map((c: Manifest) => c.name)).toEqual(['httpd', 'git-sync']);
    expect(service.spec.type).toBe('ClusterIP');
    expect(init.command[2]).toContain("src='refs/heads/main'");
    expect(init.command[2]).toContain(`target="$new/tree"/'public'`);
  });
});

describe('hostile input never reaches a manifest unquoted', () => {
  test.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s), s]))('as ref and in the URL: %s', (_, text) => {
    for (const props of [{ ref: text }, { repository: `https://git.example.com/org/${text}` }]) {
      let site: GitClonedSiteInit | undefined;
      try {
        site = new GitClonedSiteInit(newChart(), 'site', { repository: REPO, ...props });
      } catch (e) {
        expect(e).toBeInstanceOf(PropError);
        continue;
      }
      // What git accepts is passed as one quoted word.
      const word = 'ref' in props ? `refs/heads/${text}` : props.repository;
      expect(site.script.initScript.render()).toContain(shellQuote(word));
    }
  });
});

describe('bad props throw where they were written', () => {
  const cases: [string, (chart: Chart) => Partial<GitClonedSiteInitProps>, RegExp | string][] = [
    [
      'repository',
      () => ({ repository: 'https://git.example.com/$(touch PWNED)' }),
      `GitClonedSiteInit 'test/site' (prop repository): "https://git.example.com/$(touch PWNED)" has characters a URL path cannot hold`,
    ],
    [
      'ref',
      () => ({ ref: '--upload-pack=touch PWNED' }),
      `GitClonedSiteInit 'test/site' (prop ref): "--upload-pack=touch PWNED" is not a branch or tag name: it starts with '-'`,
    ],
    ['subPath', () => ({ subPath: '../etc' }), /\(prop subPath\): "..\/etc" is not a normalized path/],
    ['depth', () => ({ depth: 1.5 }), /\(prop depth\): 1.5 is not a clone depth/],
    ['deploymentName', () => ({ deploymentName: 'Site_1' }), /\(prop deploymentName\): "Site_1" is not a DNS-1123 subdomain/],
    ['replicas', () => ({ replicas: -1 }), /\(prop replicas\): -1 is not a number of replicas from 0 to 2147483647/],
    ['labels', () => ({ labels: { app: 'a b' } }), /\(prop labels\["app"\]\): "a b" is not a label value/],
    [
      'syncInterval fraction',
      () => ({ syncInterval: Duration.millis(1500) }),
      /\(prop syncInterval\): 1.5 is not a whole number of seconds from 1 to 2147483647/,
    ],
    [
      'syncInterval zero',
      () => ({ syncInterval: Duration.seconds(0) }),
      /\(prop syncInterval\): 0 is not a whole number of seconds from 1 /,
    ],
    ['nativeSidecar without syncInterval', () => ({ nativeSidecar: true }), /\(prop nativeSidecar\): true needs syncInterval/],
    [
      'credentials for another transport',
      (c) => ({ credentials: GitCredentials.ssh(deployKey(c)) }),
      /\(prop credentials\): "ssh" credentials need an ssh repository URL/,
    ],
    [
      'credentials without fsGroup',
      (c) => ({ credentials: GitCredentials.https(deployKey(c)), securityPreset: SecurityPreset.baselineRoot() }),
      /\(prop credentials\): "https" credentials need a pod fsGroup/,
    ],
    [
      'credentials Secret key',
      (c) => ({ credentials: GitCredentials.https(deployKey(c), { passwordKey: 'to ken' }) }),
      /\(prop credentials\): "to ken" is not a Secret key/,
    ],
    ['gitImage', () => ({ gitImage: 'Alpine/Git' }), /\(prop gitImage\): "Alpine\/Git" is not a container image reference/],
    ['image', () => ({ image: 'httpd:' }), /\(prop image\): "httpd:" is not a container image reference/],
    ['containerName', () => ({ containerName: 'git-clone_' }), /\(prop containerName\): "git-clone_" is not a DNS-1123 label/],
    ['serviceName', () => ({ serviceName: 'a.b' }), /\(prop serviceName\): "a.b" is not a DNS-1123 label/],
    ['servicePort', () => ({ servicePort: 0 }), /\(prop servicePort\): 0 is not a port number/],
    ['nodePort', () => ({ nodePort: 80 }), /\(prop nodePort\): 80 is not a NodePort/],
    [
      'a pinned commit with syncInterval',
      () => ({ ref: 'a'.repeat(40), syncInterval: Duration.minutes(1) }),
      `GitClonedSiteInit 'test/site' (prop syncInterval): 60 has nothing to follow: ref pins the commit ${'a'.repeat(40)}, which never moves (follow a branch or tag to keep the site current, or leave syncInterval unset)`,
    ],
    ['submodules', () => ({ submodules: 'yes' as never }), /\(prop submodules\): "yes" is not one of 'off', 'shallow', 'recursive'/],
    [
      'afterUpdateCommand without syncInterval',
      () => ({ afterUpdateCommand: ['purge'] }),
      /\(prop afterUpdateCommand\): \["purge"\] needs syncInterval: the sync sidecar runs it, also for the first tree/,
    ],
    [
      'afterUpdateCommand empty',
      () => ({ afterUpdateCommand: [], syncInterval: Duration.minutes(1) }),
      /\(prop afterUpdateCommand\): \[\] is not a command/,
    ],
    [
      'afterUpdateTimeout',
      () => ({ afterUpdateCommand: ['purge'], afterUpdateTimeout: Duration.millis(500), syncInterval: Duration.minutes(1) }),
      /\(prop afterUpdateTimeout\): 0.5 is not a whole number of seconds/,
    ],
    [
      'certificateAuthority for ssh',
      (c) => ({ repository: 'git@github.com:org/site.git', certificateAuthority: GitCertificateAuthority.fromSecret(deployKey(c)) }),
      `GitClonedSiteInit 'test/site' (prop certificateAuthority): Secret "deploy-key", key "ca.crt" is a CA bundle for an https server, but the repository "git@github.com:org/site.git" is not an https URL`,
    ],
    [
      'certificateAuthority key',
      (c) => ({ certificateAuthority: GitCertificateAuthority.fromSecret(deployKey(c), { key: 'ca crt' }) }),
      /\(prop certificateAuthority\): "ca crt" is not a Secret key/,
    ],
    [
      'nodePort on ClusterIP',
      () => ({ nodePort: 30080, serviceType: kplus.ServiceType.CLUSTER_IP }),
      /\(prop nodePort\): 30080 cannot be set on a Service of type ClusterIP/,
    ],
  ];
  test.each(cases)('%s', (_, props, message) => {
    const chart = newChart();
    expect(() => new GitClonedSiteInit(chart, 'site', { repository: REPO, ...props(chart) })).toThrow(message);
  });
});
