import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kplus from 'cdk8s-plus-27';
import { HttpdWithPostStart, HttpdWithPostStartProps, PreStopAuditedPod, SecurityPreset, WriteFileHook } from '../../lib';
import { HOSTILE_STRINGS } from '../support/hostile';
import { Manifest, newChart, only, synthValid } from '../support/manifests';
import { Batch, SHELLS, tempDir } from '../support/run';

function synth(props: HttpdWithPostStartProps = {}) {
  const chart = newChart();
  const site = new HttpdWithPostStart(chart, 'web', props);
  const manifests = synthValid(chart);
  const pod = only(manifests, 'Pod');
  return { site, manifests, pod, service: only(manifests, 'Service'), container: pod.spec.containers[0] as Manifest };
}

describe('synthesized objects', () => {
  test('a Pod and a NodePort Service, valid Kubernetes 1.27', () => {
    const { manifests, service } = synth();
    expect(manifests.map((m) => m.kind)).toEqual(['Pod', 'Service']);
    expect(service.spec.type).toBe('NodePort');
  });

  test('without names, every object keeps a generated, stable name', () => {
    const { manifests } = synth();
    for (const m of manifests) expect(m.metadata.name).toMatch(/^test-web-(pod|service)-c8[0-9a-f]{6}$/);
  });

  test('the seed names, labels and ports are expressible', () => {
    const { pod, service, container } = synth({
      podName: 'pod-httpd',
      containerName: 'cntr-httpd',
      serviceName: 'svc-nodeport-httpd',
      labels: { component: 'httpd' },
      nodePort: 30080,
    });
    expect(pod.metadata.name).toBe('pod-httpd');
    expect(pod.metadata.labels.component).toBe('httpd');
    expect(container.name).toBe('cntr-httpd');
    expect(container.ports).toEqual([{ containerPort: 80, name: 'http' }]);
    expect(service.metadata.name).toBe('svc-nodeport-httpd');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 80, nodePort: 30080 }]);
  });

  test("the Service selects exactly the Pod's labels", () => {
    const { pod, service } = synth({ labels: { component: 'httpd' } });
    expect(Object.keys(service.spec.selector).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(service.spec.selector)) {
      expect(pod.metadata.labels[key]).toBe(value);
    }
  });

  test('the image is pinned to a 2.4 release and pulled only when missing', () => {
    const { container } = synth();
    expect(container.image).toMatch(/^httpd:2\.4\.\d+$/);
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    expect(synth({ image: 'httpd' }).container.imagePullPolicy).toBe('Always');
    expect(synth({ image: 'httpd:latest' }).container.imagePullPolicy).toBe('Always');
  });

  test('the hook runs under /bin/sh with -c, and under another shell when asked', () => {
    expect(synth().container.lifecycle.postStart.exec.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(synth({ shell: '/bin/bash' }).container.lifecycle.postStart.exec.command[0]).toBe('/bin/bash');
  });

  test('htdocs and logs are writable emptyDirs; nothing else is mounted', () => {
    const { pod, container } = synth();
    expect(container.volumeMounts).toEqual([
      { mountPath: '/usr/local/apache2/htdocs', name: 'htdocs', readOnly: false },
      { mountPath: '/usr/local/apache2/logs', name: 'httpd-logs' },
    ]);
    expect(pod.spec.volumes).toEqual([
      { name: 'htdocs', emptyDir: {} },
      { name: 'httpd-logs', emptyDir: {} },
    ]);
  });

  test('default security: restricted, non-root on port 80 through the unprivileged-port sysctl', () => {
    const { site, pod, container } = synth();
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
    expect(pod.spec.securityContext).toEqual({
      fsGroup: 10001,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }],
    });
    expect(site.container.name).toBe('httpd');
  });

  test('the baseline root preset keeps only the capabilities it lists', () => {
    const preset = SecurityPreset.baselineRoot({ addCapabilities: ['SETUID', 'NET_BIND_SERVICE', 'SETGID'] });
    const { pod, container } = synth({ securityPreset: preset });
    expect(preset.level).toBe('baseline');
    expect(container.securityContext.runAsUser).toBe(0);
    expect(container.securityContext.capabilities).toEqual({ add: ['NET_BIND_SERVICE', 'SETGID', 'SETUID'], drop: ['ALL'] });
    expect(pod.spec.securityContext.sysctls).toBeUndefined();
  });

  test('small default resources, overridable', () => {
    expect(synth().container.resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '50m', memory: '64Mi' } });
  });

  test('command and args override the image entrypoint', () => {
    const { container } = synth({ command: ['httpd'], args: ['-DFOREGROUND'] });
    expect(container.command).toEqual(['httpd']);
    expect(container.args).toEqual(['-DFOREGROUND']);
  });

  test('ClusterIP service type without node port', () => {
    const { service } = synth({ serviceType: kplus.ServiceType.CLUSTER_IP, servicePort: 8080 });
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 80 }]);
  });

  test('.pod and .service expose the cdk8s-plus objects', () => {
    const { site } = synth();
    expect(site.pod).toBeInstanceOf(kplus.Pod);
    expect(site.service).toBeInstanceOf(kplus.Service);
    expect(site.pod.containers[0]).toBe(site.container);
  });

  test('snapshot', () => {
    expect(synth({ podName: 'pod-httpd', serviceName: 'svc-nodeport-httpd' }).manifests).toMatchSnapshot();
  });
});

describe.each(SHELLS)('the postStart hook, run by %s', (shell) => {
  // Every hook of this block runs in one batch, each in a process and directory of its own.
  const batch = new Batch();

  /** Registers a run of the synthesized postStart hook; returns a getter of the page it wrote. */
  function runHook(props: HttpdWithPostStartProps) {
    const htdocs = join(tempDir(), 'htdocs');
    const result = batch.add(() => {
      const { container } = synth({ ...props, htdocsPath: htdocs });
      return { command: container.lifecycle.postStart.exec.command, shell, cwd: join(htdocs, '..') };
    });
    return () => {
      const { stderr, status } = result();
      expect(stderr).toBe('');
      expect(status).toBe(0);
      return { page: readFileSync(join(htdocs, props.fileName ?? 'index.html'), 'utf8'), htdocs };
    };
  }

  const seedPage = runHook({});
  test("writes the seed's page: the date line, then the content", () => {
    expect(seedPage().page).toMatch(/^the date is: .+\nThis content was created by the postStart hook\n$/);
  });

  const fresh = runHook({ content: 'x' });
  test('creates a fresh htdocs directory and leaves no temporary file', () => {
    expect(readdirSync(fresh().htdocs)).toEqual(['index.html']);
  });

  const hostileLines = runHook({ content: HOSTILE_STRINGS, prependDate: false });
  test('writes hostile lines literally and runs nothing', () => {
    const { page, htdocs } = hostileLines();
    expect(page).toBe(HOSTILE_STRINGS.map((s) => `${s}\n`).join(''));
    expect(existsSync(join(htdocs, '..', 'PWNED'))).toBe(false);
    expect(existsSync(join(htdocs, 'PWNED'))).toBe(false);
  });

  test.each(
    HOSTILE_STRINGS.map((s) => [JSON.stringify(s), s, runHook({ content: s, prependDate: false, fileName: "page 'x'.html" })] as const),
  )('writes the string %s exactly', (_, text, ran) => {
    expect(ran().page).toBe(text);
  });

  const hostileDir = join(tempDir(), "$(touch PWNED) 'x' `y`");
  const intoHostileDir = batch.add(() => {
    const { container } = synth({ htdocsPath: hostileDir, content: ['ok'], prependDate: false });
    return { command: container.lifecycle.postStart.exec.command, shell, cwd: join(hostileDir, '..') };
  });
  test('writes into a hostile directory name', () => {
    expect(intoHostileDir().status).toBe(0);
    expect(readFileSync(join(hostileDir, 'index.html'), 'utf8')).toBe('ok\n');
    expect(existsSync(join(hostileDir, '..', 'PWNED'))).toBe(false);
  });
});

describe('bad props throw where they were written', () => {
  const cases: [string, HttpdWithPostStartProps, RegExp | string][] = [
    ['podName', { podName: 'Bad_Name' }, `HttpdWithPostStart 'test/web' (prop podName): "Bad_Name" is not a DNS-1123 subdomain`],
    [
      'containerName',
      { containerName: 'Bad_Name' },
      `HttpdWithPostStart 'test/web' (prop containerName): "Bad_Name" is not a DNS-1123 label: lowercase letters, digits and '-' only`,
    ],
    ['serviceName', { serviceName: 'svc.dotted' }, /prop serviceName\): "svc.dotted" is not a DNS-1123 label/],
    ['long containerName', { containerName: 'a'.repeat(64) }, /at most 63 characters \(has 64\)/],
    ['servicePort', { servicePort: 70000 }, /prop servicePort\): 70000 is not a port number from 1 to 65535/],
    ['servicePort 0', { servicePort: 0 }, /prop servicePort\): 0 is not a port number/],
    ['nodePort', { nodePort: 8080 }, /prop nodePort\): 8080 is not a NodePort .* from 30000 to 32767/],
    [
      'nodePort on ClusterIP',
      { nodePort: 30080, serviceType: kplus.ServiceType.CLUSTER_IP },
      /prop nodePort\): 30080 cannot be set on a Service of type ClusterIP/,
    ],
    ['htdocsPath', { htdocsPath: 'htdocs' }, /prop htdocsPath\): "htdocs" is not an absolute path/],
    ['htdocsPath ..', { htdocsPath: '/usr/../etc' }, /prop htdocsPath\): "\/usr\/..\/etc" is not a normalized path/],
    ['shell', { shell: 'bash' }, /prop shell\): "bash" is not an absolute path/],
    ['fileName', { fileName: '../x' }, /prop fileName\): "..\/x" is not a file name/],
    ['image', { image: 'Httpd:2.4' }, /prop image\): "Httpd:2.4" is not a container image reference/],
    ['labels key', { labels: { 'bad key': 'x' } }, /prop labels key\): "bad key" is not a label key/],
    ['labels value', { labels: { app: 'a b' } }, /prop labels\["app"\]\): "a b" is not a label value/],
    ['content NUL', { content: ['a\0b'] }, /prop content\[0\]\): "a\\u0000b" holds a NUL byte/],
  ];
  test.each(cases)('%s', (_, props, message) => {
    expect(() => new HttpdWithPostStart(newChart(), 'web', props)).toThrow(message);
  });

  test('SecurityPreset.baselineRoot rejects a capability Baseline forbids', () => {
    expect(() => SecurityPreset.baselineRoot({ addCapabilities: ['SYS_ADMIN' as never] })).toThrow(
      /SecurityPreset.baselineRoot \(prop addCapabilities\): "SYS_ADMIN" is not a capability the Baseline level allows/,
    );
  });
});

describe('a large page from a ConfigMap (contentFrom)', () => {
  // 300 KiB of text with every kind of hostile line: far more than one exec argument holds.
  const page = Array.from({ length: 1200 }, (_, i) => `${HOSTILE_STRINGS[i % HOSTILE_STRINGS.length]} ${'\u2028ä'.repeat(40)}`).join('\n');

  test('the same page as content is ARG_TOO_LONG; from a ConfigMap it is a valid manifest', () => {
    expect(() => synth({ content: page })).toThrow(/ARG_TOO_LONG|MAX_ARG_STRLEN/);
    const chart = newChart();
    // binaryData (base64): the page holds U+2028, which ConfigMap `data` cannot carry to kubectl.
    const configMap = new kplus.ConfigMap(chart, 'Page', { binaryData: { 'index.html': Buffer.from(page).toString('base64') } });
    new HttpdWithPostStart(chart, 'web', { contentFrom: { configMap, key: 'index.html' } });
    const manifests = synthValid(chart);
    const pod = only(manifests, 'Pod');
    const container = pod.spec.containers[0];
    expect(pod.spec.volumes).toContainEqual({
      name: 'post-start-page',
      configMap: { name: only(manifests, 'ConfigMap').metadata.name, items: [{ key: 'index.html', path: 'page' }] },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'post-start-page', mountPath: '/etc/post-start-page', readOnly: true });
    expect(container.lifecycle.postStart.exec.command[2]).toContain("cat '/etc/post-start-page/page'");
    expect(Buffer.byteLength(container.lifecycle.postStart.exec.command[2])).toBeLessThan(1000);
  });

  // The hook's copy, run for real: the mounted key is a file; the page is written atomically.
  const dir = tempDir();
  const source = join(dir, 'page');
  writeFileSync(source, page);
  const batch = new Batch();
  const runs = SHELLS.map((shell) => {
    const htdocs = join(dir, shell.replace(' ', '-'));
    const hook = new WriteFileHook({ path: join(htdocs, 'index.html'), copyFrom: source, prependDate: true });
    return { shell, htdocs, result: batch.add(() => ({ command: hook.command, shell })) };
  });
  test.each(runs)('the hook copies the mounted page byte for byte under $shell', ({ htdocs, result }) => {
    expect(result()).toMatchObject({ status: 0, stderr: '' });
    const written = readFileSync(join(htdocs, 'index.html'), 'utf8');
    expect(written).toMatch(/^the date is: .+\n/);
    expect(written.slice(written.indexOf('\n') + 1)).toBe(page);
    expect(readdirSync(htdocs)).toEqual(['index.html']);
  });

  test('PreStopAuditedPod takes its postStart page from a ConfigMap the same way', () => {
    const chart = newChart();
    const configMap = kplus.ConfigMap.fromConfigMapName(chart, 'Page', 'site-page');
    new PreStopAuditedPod(chart, 'audited', { postStartContentFrom: { configMap, key: 'page.html' } });
    const pod = only(synthValid(chart), 'Pod');
    expect(pod.spec.volumes).toContainEqual({
      name: 'post-start-page',
      configMap: { name: 'site-page', items: [{ key: 'page.html', path: 'page' }] },
    });
    expect(pod.spec.containers[0].lifecycle.postStart.exec.command[2]).toContain("cat '/etc/post-start-page/page'");
  });
});
