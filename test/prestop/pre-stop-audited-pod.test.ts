import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { FlagFileDirectory, PRE_STOP_WRITE_MARGIN, PreStopAuditedPod, PreStopAuditedPodProps, SecurityPreset } from '../../lib';
import { FLAG_FIELDS, FLAG_FILE_FORMAT } from '../../lib/prestop/flag-file';
import { PreStopAuditedPodChart } from '../../examples/pre-stop-audited-pod';
import { auditDir, list, podIdentity, PodIdentity, preStopCommand } from '../support/audit';
import { HOSTILE_STRINGS } from '../support/hostile';
import { Manifest, newChart, only, synthValid } from '../support/manifests';
import { Batch, SHELLS } from '../support/run';

function synth(props: PreStopAuditedPodProps = {}) {
  const chart = newChart();
  const audited = new PreStopAuditedPod(chart, 'audited', props);
  const manifests = synthValid(chart);
  const pod = only(manifests, 'Pod');
  return { audited, manifests, pod, service: only(manifests, 'Service'), container: pod.spec.containers[0] as Manifest };
}

/** The header of a flag file as key/value pairs, and the lines after it. */
function parseFlagFile(text: string) {
  const [header, body] = [text.slice(0, text.indexOf('\n\n')), text.slice(text.indexOf('\n\n') + 2)];
  return {
    fields: Object.fromEntries(header.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])),
    body,
  };
}

describe('synthesized objects', () => {
  test('a Pod and a NodePort Service, valid Kubernetes 1.27', () => {
    const { manifests, service } = synth();
    expect(manifests.map((m) => m.kind)).toEqual(['Pod', 'Service']);
    expect(service.spec.type).toBe('NodePort');
  });

  test("only the incoming/ part of the default hostPath (on disk, not the seed's /tmp), type Directory (the collector makes it), mounted read-write at /preStopScriptOutput", () => {
    const { pod, container } = synth();
    expect(pod.spec.volumes).toContainEqual({
      name: 'list-of-deleted-pods',
      hostPath: { path: '/var/lib/cdk8s-pod-lifecycle/flags/incoming', type: 'Directory' },
    });
    const mount = container.volumeMounts.find((m: Manifest) => m.name === 'list-of-deleted-pods');
    expect(mount).toEqual({ mountPath: '/preStopScriptOutput', name: 'list-of-deleted-pods' });
  });

  test('the FlagFileDirectory decides the host path, the mount path and the volume name', () => {
    const flagDirectory = new FlagFileDirectory({ hostPath: '/var/lib/stops', mountPath: '/stops', volumeName: 'stops' });
    const { pod, container } = synth({ flagDirectory });
    expect(pod.spec.volumes).toContainEqual({ name: 'stops', hostPath: { path: '/var/lib/stops/incoming', type: 'Directory' } });
    expect(container.volumeMounts).toContainEqual({ mountPath: '/stops', name: 'stops' });
    expect(container.lifecycle.preStop.exec.command[2]).toContain('mv -f "$tmp" \'/stops/\'"$file"');
  });

  test('the hook reads the pod name, namespace, UID and node from the downward API', () => {
    const { container } = synth();
    expect(container.env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ]);
  });

  test('the main container has the preStop hook and the postStart page; both can change', () => {
    const { container } = synth();
    expect(container.lifecycle.preStop.exec.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(container.lifecycle.postStart.exec.command[2]).toContain("'This content was created by the postStart hook'");
    expect(synth({ postStart: false }).container.lifecycle).toEqual({ preStop: expect.anything() });
    expect(synth({ postStartContent: 'hi' }).container.lifecycle.postStart.exec.command[2]).toContain("printf '%s' 'hi'");
    const bash = synth({ shell: '/bin/bash' }).container.lifecycle;
    expect([bash.preStop.exec.command[0], bash.postStart.exec.command[0]]).toEqual(['/bin/bash', '/bin/bash']);
  });

  test('grace period 30s by default; preStopDelay sleeps before the write', () => {
    expect(synth().pod.spec.terminationGracePeriodSeconds).toBe(30);
    expect(synth().container.lifecycle.preStop.exec.command[2]).not.toContain('sleep');
    const { pod, container } = synth({ preStopDelay: Duration.seconds(20), terminationGracePeriod: Duration.minutes(1) });
    expect(pod.spec.terminationGracePeriodSeconds).toBe(60);
    expect(container.lifecycle.preStop.exec.command[2]).toMatch(/\(\nset -eu\nsleep '20'\n/);
  });

  test('a grace period of exactly preStopDelay plus the write margin is enough', () => {
    const { pod } = synth({
      preStopDelay: Duration.seconds(10),
      terminationGracePeriod: Duration.seconds(10 + PRE_STOP_WRITE_MARGIN.toSeconds()),
    });
    expect(pod.spec.terminationGracePeriodSeconds).toBe(15);
  });

  test('default security: no root (the collector keeps incoming/ writable), restricted as HttpdWithPostStart', () => {
    const { pod, container } = synth();
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 10001,
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }],
    });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  test('another preset can be chosen', () => {
    const { container } = synth({ securityPreset: SecurityPreset.restricted({ user: 2000, group: 2000, unprivilegedPortStart: 80 }) });
    expect(container.securityContext.runAsUser).toBe(2000);
    expect(SecurityPreset.restricted().level).toBe('restricted');
  });

  test('seed names, labels and a fixed node port; the Service selects the Pod', () => {
    const { pod, service, container } = synth({
      podName: 'pod-httpd',
      containerName: 'cntr-httpd',
      serviceName: 'svc-nodeport-httpd',
      labels: { component: 'httpd' },
      nodePort: 30080,
    });
    expect([pod.metadata.name, container.name, service.metadata.name]).toEqual(['pod-httpd', 'cntr-httpd', 'svc-nodeport-httpd']);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 80, nodePort: 30080 }]);
    for (const [key, value] of Object.entries(service.spec.selector)) expect(pod.metadata.labels[key]).toBe(value);
    expect(service.metadata.labels).toEqual({ component: 'httpd' });
    expect(container.lifecycle.preStop.exec.command[2]).toContain("f_container='cntr-httpd'");
  });

  test('ClusterIP service without node port', () => {
    const { service } = synth({ serviceType: kplus.ServiceType.CLUSTER_IP, servicePort: 8080 });
    expect(service.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 8080, targetPort: 80 }] });
  });

  test('.pod, .service, .container, .flagDirectory and the hooks are exposed', () => {
    const flagDirectory = new FlagFileDirectory();
    const { audited } = synth({ flagDirectory });
    expect(audited.pod).toBeInstanceOf(kplus.Pod);
    expect(audited.service).toBeInstanceOf(kplus.Service);
    expect(audited.pod.containers[0]).toBe(audited.container);
    expect(audited.flagDirectory).toBe(flagDirectory);
    expect(audited.preStopHook.delaySeconds).toBe(0);
    expect(audited.postStartHook).toBeDefined();
  });

  test('snapshot', () => {
    expect(synth({ podName: 'pod-httpd', serviceName: 'svc-nodeport-httpd', flagLines: ['team=web'] }).manifests).toMatchSnapshot();
  });

  test("the example chart is the seed's preStop scenario", () => {
    const [pod, service] = Testing.synth(new PreStopAuditedPodChart(Testing.app(), 'example'));
    expect(pod.metadata).toMatchObject({ name: 'pod-httpd-audited', labels: { component: 'httpd' } });
    expect(pod.spec.containers[0].name).toBe('cntr-httpd');
    expect(pod.spec.volumes).toContainEqual({
      name: 'list-of-deleted-pods',
      hostPath: { path: '/tmp/ListOfDeletedPods/incoming', type: 'Directory' },
    });
    expect(pod.spec.containers[0].lifecycle.postStart.exec.command[2]).toContain("'this content was created by the postStart hook'");
    expect(service.metadata.name).toBe('svc-nodeport-httpd-audited');
    expect(service.spec.type).toBe('NodePort');
  });
});

describe.each(SHELLS)('the preStop hook, run by %s', (shell) => {
  // Every hook run of this block is started by one batch.
  const batch = new Batch();

  /**
   * Registers one run per pod of the preStop hook writing into `dir` (an audit directory's
   * mount path), all at the same time; returns a getter that checks every run succeeded.
   */
  function runHooks(dir: string, pods: readonly PodIdentity[], props: PreStopAuditedPodProps = {}) {
    const runs = batch.addAtOnce(() => {
      const command = preStopCommand({ ...props, flagDirectory: new FlagFileDirectory({ mountPath: dir }) });
      return pods.map((pod) => ({ command, shell, env: { ...pod } }));
    });
    return () => {
      expect(runs()).toMatchObject(pods.map(() => ({ status: 0, stderr: '' })));
      return dir;
    };
  }

  /** Registers a run of the hook of an audited pod for `pod`; returns a getter of the one file it wrote. */
  function writeFlag(props: PreStopAuditedPodProps, pod = podIdentity(1)) {
    const ran = runHooks(auditDir().dir, [pod], props);
    return () => {
      const dir = ran();
      const files = list(dir);
      expect(files).toHaveLength(1);
      return { dir, name: files[0], text: readFileSync(join(dir, files[0]), 'utf8') };
    };
  }

  const seedPod = podIdentity(7, 'pod-httpd');
  const seedFlag = writeFlag({ containerName: 'cntr-httpd' }, seedPod);
  test('writes one flag file named <pod>.<uid>.<time>.<pid>.txt with the documented header and the seed lines', () => {
    const { name, text } = seedFlag();
    expect(name).toMatch(/^pod-httpd\.00000000-0000-4000-8000-000000000007\.\d{8}T\d{6}Z\.\d+\.txt$/);
    const { fields, body } = parseFlagFile(text);
    expect(text.startsWith(`format=${FLAG_FILE_FORMAT}\n`)).toBe(true);
    expect(Object.keys(fields)).toEqual(['format', ...FLAG_FIELDS.map((f) => f.key)]);
    expect(fields).toMatchObject({ pod: 'pod-httpd', namespace: 'default', uid: seedPod.POD_UID, node: 'node-1', container: 'cntr-httpd' });
    expect(fields.stopped_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(name).toContain(fields.stopped_at.replace(/[-:]/g, ''));
    expect(body).toMatch(/^the date is .+ UTC \d{4}\nthe pod pod-httpd has been terminated\n$/);
  });

  const samePod = runHooks(auditDir().dir, [podIdentity(1), podIdentity(1), podIdentity(1)]);
  test('each run writes its own file, even runs of the same pod in the same second (a repeated hook never overwrites one)', () => {
    expect(list(samePod())).toHaveLength(3);
  });

  const hostileLines = writeFlag({ flagLines: HOSTILE_STRINGS });
  test('writes the flag lines literally after the header, where the collector never looks', () => {
    const { text, dir } = hostileLines();
    expect(parseFlagFile(text).body.split('\n').slice(2).join('\n')).toBe(HOSTILE_STRINGS.map((s) => `${s}\n`).join(''));
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
    expect(existsSync(join(dir, '..', 'PWNED'))).toBe(false);
  });

  const hostilePods = HOSTILE_STRINGS.map((hostile) => ({
    POD_NAME: hostile,
    POD_NAMESPACE: hostile,
    POD_UID: hostile,
    NODE_NAME: hostile,
  }));
  const hostileValues = runHooks(auditDir().dir, hostilePods);
  test('hostile downward API values are written empty, never run, and each run still writes its own file', () => {
    const dir = hostileValues();
    const names = list(dir);
    expect(names).toHaveLength(HOSTILE_STRINGS.length);
    for (const name of names) {
      expect(name).toMatch(/^unknown\.unknown\.\d{8}T\d{6}Z\.\d+\.txt$/);
      const { fields, body } = parseFlagFile(readFileSync(join(dir, name), 'utf8'));
      expect(Object.keys(fields)).toEqual(['format', ...FLAG_FIELDS.map((f) => f.key)]);
      expect(fields).toMatchObject({ pod: '', namespace: '', uid: '', node: '', container: 'httpd' });
      expect(body).toMatch(/\nthe pod unknown has been terminated\n$/);
    }
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
    expect(existsSync(join(dir, '..', 'PWNED'))).toBe(false);
  });

  const dotted = { POD_NAME: 'web-0.v2', POD_NAMESPACE: 'team-a', POD_UID: 'abc-123', NODE_NAME: 'ip-10-0-0-1.ec2.internal' };
  const long = podIdentity(1, `${'a'.repeat(251)}.b`);
  const missing = { POD_NAME: '', POD_NAMESPACE: '', POD_UID: '', NODE_NAME: '' };
  const names = runHooks(auditDir().dir, [dotted, long, missing]);
  test('valid names are kept verbatim (dots too), 253 characters still fit the 255-byte name limit, missing values give "unknown"', () => {
    const dir = names();
    const byPod = new Map(list(dir).map((name) => [parseFlagFile(readFileSync(join(dir, name), 'utf8')).fields.pod, name]));
    expect(byPod.get('web-0.v2')!.startsWith('web-0.v2.abc-123.')).toBe(true);
    const dottedFields = parseFlagFile(readFileSync(join(dir, byPod.get('web-0.v2')!), 'utf8')).fields;
    expect(dottedFields).toMatchObject({ namespace: 'team-a', uid: 'abc-123', node: 'ip-10-0-0-1.ec2.internal' });
    expect(Buffer.byteLength(byPod.get(long.POD_NAME)!)).toBeLessThanOrEqual(255);
    expect(byPod.get('')).toMatch(/^unknown\.unknown\./);
  });

  const parent = auditDir().dir;
  const hostileDir = join(parent, "$(touch PWNED) 'x' `y`");
  mkdirSync(hostileDir, { recursive: true });
  const intoHostileDir = runHooks(hostileDir, [podIdentity(1)]);
  test('writes into a hostile directory name', () => {
    expect(list(intoHostileDir())).toHaveLength(1);
    expect(existsSync(join(parent, 'PWNED'))).toBe(false);
  });
});

describe('bad props throw where they were written', () => {
  const cases: [string, PreStopAuditedPodProps, RegExp | string][] = [
    ['podName', { podName: 'Bad_Name' }, `PreStopAuditedPod 'test/audited' (prop podName): "Bad_Name" is not a DNS-1123 subdomain`],
    [
      'containerName',
      { containerName: 'Bad_Name' },
      `PreStopAuditedPod 'test/audited' (prop containerName): "Bad_Name" is not a DNS-1123 label`,
    ],
    ['labels', { labels: { app: 'a b' } }, /prop labels\["app"\]\): "a b" is not a label value/],
    ['serviceName', { serviceName: 'svc.dotted' }, /prop serviceName\): "svc.dotted" is not a DNS-1123 label/],
    ['servicePort', { servicePort: 0 }, /prop servicePort\): 0 is not a port number/],
    ['nodePort', { nodePort: 8080 }, /prop nodePort\): 8080 is not a NodePort/],
    [
      'nodePort on ClusterIP',
      { nodePort: 30080, serviceType: kplus.ServiceType.CLUSTER_IP },
      /prop nodePort\): 30080 cannot be set on a Service of type ClusterIP/,
    ],
    ['image', { image: 'Httpd:2.4' }, /prop image\): "Httpd:2.4" is not a container image reference/],
    ['shell', { shell: 'sh' }, /prop shell\): "sh" is not an absolute path/],
    ['flagLines', { flagLines: ['ok', 'a\0b'] }, /prop flagLines\[1\]\): "a\\u0000b" holds a NUL byte/],
    ['postStartContent', { postStartContent: ['a\0b'] }, /prop content\[0\]\): "a\\u0000b" holds a NUL byte/],
    [
      'preStopDelay fraction',
      { preStopDelay: Duration.millis(1500) },
      /prop preStopDelay\): 1.5 is not a whole number of seconds from 0 to 3600/,
    ],
    [
      'preStopDelay too long',
      { preStopDelay: Duration.hours(2) },
      /prop preStopDelay\): 7200 is not a whole number of seconds from 0 to 3600/,
    ],
    [
      'terminationGracePeriod fraction',
      { terminationGracePeriod: Duration.millis(100) },
      /prop terminationGracePeriod\): 0.1 is not a whole number of seconds/,
    ],
    [
      'terminationGracePeriod shorter than the hook',
      { preStopDelay: Duration.seconds(30), terminationGracePeriod: Duration.seconds(30) },
      `PreStopAuditedPod 'test/audited' (prop terminationGracePeriod): 30 seconds is too short: the preStop hook (preStopDelay 30s, then 5s to write the flag file and stop the container) needs 35; the kubelet kills the containers when the grace period ends, even in the middle of the hook; set terminationGracePeriod to at least 35s or shorten preStopDelay`,
    ],
    [
      'terminationGracePeriod below the write margin',
      { terminationGracePeriod: Duration.seconds(2) },
      /\(prop terminationGracePeriod\): 2 seconds is too short: the preStop hook \(preStopDelay 0s, /,
    ],
  ];
  test.each(cases)('%s', (_, props, message) => {
    expect(() => new PreStopAuditedPod(newChart(), 'audited', props)).toThrow(message);
  });

  const logCases: [string, ConstructorParameters<typeof FlagFileDirectory>[0], RegExp][] = [
    ['hostPath relative', { hostPath: 'tmp/x' }, /^FlagFileDirectory \(prop hostPath\): "tmp\/x" is not an absolute path/],
    ['hostPath root', { hostPath: '/' }, /^FlagFileDirectory \(prop hostPath\): "\/" is the root directory/],
    ['mountPath ..', { mountPath: '/a/../b' }, /^FlagFileDirectory \(prop mountPath\): "\/a\/..\/b" is not a normalized path/],
    ['mountPath root', { mountPath: '/' }, /^FlagFileDirectory \(prop mountPath\): "\/" is the root directory/],
    ['volumeName', { volumeName: 'Stops' }, /^FlagFileDirectory \(prop volumeName\): "Stops" is not a DNS-1123 label/],
  ];
  test.each(logCases)('FlagFileDirectory %s', (_, props, message) => {
    expect(() => new FlagFileDirectory(props)).toThrow(message);
  });
});
