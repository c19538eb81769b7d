import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { addRawJsonPatch, containerPointer, HttpdWithPostStart, PreStopAuditedPod, setManifestField } from '../../lib';

// The synth checks of the final state, one rule each: what only the final manifests show
// (patches, containers added later, several constructs of one app).

function synthErrors(build: (chart: ReturnType<typeof Testing.chart>) => void): string {
  const chart = Testing.chart();
  build(chart);
  try {
    Testing.synth(chart);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

test('a patched exec word longer than MAX_ARG_STRLEN is exec-argument-too-long, with its pointer', () => {
  const message = synthErrors((chart) => {
    const site = new HttpdWithPostStart(chart, 'web', { podName: 'web' });
    setManifestField(site.pod, `${containerPointer(site.pod, site.container)}/args`, ['x'.repeat(131072)]);
  });
  expect(message).toContain(
    "[test/web] Pod 'web' (test/web/Pod/Resource) at /spec/containers/0/args/0: container 'httpd' has an exec argument of 131072 bytes, and Linux takes at most 131071 (MAX_ARG_STRLEN 131072 with its NUL)",
  );
  expect(message).toContain('[exec-argument-too-long]');
});

test('a container added later with a long lifecycle command is exec-argument-too-long', () => {
  const message = synthErrors((chart) => {
    const site = new HttpdWithPostStart(chart, 'web', { podName: 'web' });
    site.pod.addContainer({
      name: 'side',
      image: 'busybox:1.36.1',
      lifecycle: { preStop: kplus.Handler.fromCommand(['sh', '-c', '#'.repeat(200000)]) },
    });
  });
  expect(message).toMatch(
    /at \/spec\/containers\/1\/lifecycle\/preStop\/exec\/command\/2: container 'side' has an exec argument of 200000 bytes.*\[exec-argument-too-long\]/,
  );
});

test('an object larger than etcd keeps is object-too-large, patched or not', () => {
  const patched = synthErrors((chart) => {
    const site = new HttpdWithPostStart(chart, 'web', { podName: 'web' });
    ApiObject.of(site.service).addJsonPatch(JsonPatch.add('/metadata/annotations', { big: 'x'.repeat(1_600_000) }));
  });
  expect(patched).toMatch(
    /Service '[^']+' \(test\/web\/Service\/Resource\): its JSON has 16\d{5} bytes, more than the 1572864 \(1\.5 MiB\) etcd stores per object.*\[object-too-large\]/,
  );
  const model = synthErrors((chart) => {
    const site = new HttpdWithPostStart(chart, 'web', { podName: 'web' });
    for (const name of ['a', 'b']) {
      site.pod.addContainer({ name, image: 'busybox:1.36.1', envVariables: { BIG: kplus.EnvValue.fromValue('y'.repeat(800_000)) } });
    }
  });
  expect(model).toMatch(/Pod 'web' \(test\/web\/Pod\/Resource\): its JSON has \d+ bytes.*\[object-too-large\]/);
});

test('two volumes mounted at one path in a container is duplicate-mount-path', () => {
  const message = synthErrors((chart) => {
    const site = new HttpdWithPostStart(chart, 'web', { podName: 'web' });
    setManifestField(site.pod, `${containerPointer(site.pod, site.container)}/volumeMounts/1/mountPath`, '/usr/local/apache2/htdocs');
  });
  expect(message).toContain(
    "Pod 'web' (test/web/Pod/Resource) at /spec/containers/0/volumeMounts/1/mountPath: container 'httpd' mounts two volumes at /usr/local/apache2/htdocs, and the API server refuses two mounts at one path",
  );
  expect(message).toContain('[duplicate-mount-path]');
});

test("a user's container named like the construct's is duplicate-container-name", () => {
  const message = synthErrors((chart) => {
    const site = new HttpdWithPostStart(chart, 'web', { podName: 'web' });
    site.pod.addContainer({ name: 'httpd', image: 'busybox:1.36.1' });
  });
  expect(message).toContain(
    "Pod 'web' (test/web/Pod/Resource) at /spec/containers/1/name: container name 'httpd' is taken by /spec/containers/0/name, and the API server refuses two containers of one name in a pod (init containers included)",
  );
  expect(message).toContain('[duplicate-container-name]');
});

test('the same podName or serviceName on two constructs of one app is duplicate-object, reported on the second', () => {
  const message = synthErrors((chart) => {
    new HttpdWithPostStart(chart, 'a', { podName: 'web', serviceName: 'web' });
    new PreStopAuditedPod(chart, 'b', { podName: 'web', serviceName: 'web' });
  });
  expect(message).toContain(
    "[test/b] Pod 'web' (test/b/Pod/Resource) at /metadata/name: Pod 'web' earlier in the app has the same API group 'core', kind and name without a namespace, so one would replace the other when applied",
  );
  expect(message).toContain("[test/b] Service 'web' (test/b/Service/Resource) at /metadata/name: Service 'web' earlier in the app");
  expect(message).not.toContain('[test/a]');
  // In different namespaces they are different objects.
  const app = Testing.app();
  const charts = ['one', 'two'].map((namespace) => new Chart(app, namespace, { namespace }));
  charts.forEach((c) => new HttpdWithPostStart(c, 'web', { podName: 'web', serviceName: 'web' }));
  expect(() => charts.forEach((c) => Testing.synth(c))).not.toThrow();
});

test('two Services with the same nodePort anywhere in the app is duplicate-node-port', () => {
  const message = synthErrors((chart) => {
    new HttpdWithPostStart(chart, 'a', { nodePort: 30080 });
    new HttpdWithPostStart(chart, 'b', { nodePort: 30080 });
  });
  expect(message).toMatch(
    /\[test\/b\] Service '[^']+' \(test\/b\/Service\/Resource\) at \/spec\/ports: node port 30080 is also taken by Service '[^']+'; node ports are cluster-wide.*\[duplicate-node-port\]/,
  );
});

test('a Service moved to another namespace by a patch, in a chart without a namespace, has no endpoints', () => {
  const message = synthErrors((chart) => {
    const site = new HttpdWithPostStart(chart, 'web', { podName: 'web', serviceName: 'web' });
    ApiObject.of(site.service).addJsonPatch(JsonPatch.add('/metadata/namespace', 'other'));
  });
  expect(message).toContain("Service 'web' in namespace other (test/web/Service/Resource) at /spec/selector: selector");
  expect(message).toContain('matches no Pod or pod template in namespace other in the app, so the Service has no endpoints');
  expect(message).toContain('[service-selects-nothing]');
});

test('a request above its limit in the final manifest is request-above-limit', () => {
  const message = synthErrors((chart) => {
    const site = new HttpdWithPostStart(chart, 'web', { podName: 'web' });
    addRawJsonPatch(site.pod, JsonPatch.replace('/spec/containers/0/resources/requests/memory', '1Gi'));
  });
  expect(message).toContain(
    "Pod 'web' (test/web/Pod/Resource) at /spec/containers/0/resources: container 'httpd' requests 1Gi memory, above its limit 256Mi, which the API server refuses",
  );
  expect(message).toContain('[request-above-limit]');
});
