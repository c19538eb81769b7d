// The README's examples for the testing entry, synth-time validation and escape hatches,
// run as written (imports aside), so the README cannot drift from the code.
import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { addStandardSynthChecks, addSynthCheck, containerPointer, gracePeriodProblems, HttpdWithPostStart, setManifestField } from '../lib';
import { assertValidManifests, synthSnapshot } from '../lib/testing';

test('the web chart', () => {
  const chart = Testing.chart();
  new HttpdWithPostStart(chart, 'web', { podName: 'web', nodePort: 30080 });

  assertValidManifests(synthSnapshot(chart)); // throws listing every "Kind/name at /json/path: problem"
  const [pod, service] = synthSnapshot(chart, { dropCdk8sLabels: true });
  expect(pod.spec.containers[0].lifecycle.postStart.exec.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
  expect(service.spec.ports[0].nodePort).toBe(30080);
  expect(synthSnapshot(chart, { yaml: true, dropCdk8sLabels: true })).toMatchSnapshot();
});

test('escape hatches write 1.27 fields cdk8s-plus cannot express', () => {
  const chart = Testing.chart();
  const site = new HttpdWithPostStart(chart, 'web');
  setManifestField(site.pod, `${containerPointer(site.pod, site.container)}/terminationMessagePolicy`, 'FallbackToLogsOnError');
  ApiObject.of(site.pod).addJsonPatch(JsonPatch.add('/spec/enableServiceLinks', false));
  const [pod] = synthSnapshot(chart);
  assertValidManifests([pod]);
  expect(pod.spec.containers[0].terminationMessagePolicy).toBe('FallbackToLogsOnError');
  expect(pod.spec.enableServiceLinks).toBe(false);
});

test('fields newer than 1.27 are dropped by cdk8s-plus-27, even through a JSON patch', () => {
  const chart = Testing.chart();
  const site = new HttpdWithPostStart(chart, 'web');
  // 1.29's sleep handler and 1.28's native-sidecar restartPolicy.
  ApiObject.of(site.pod).addJsonPatch(
    JsonPatch.add('/spec/containers/0/lifecycle/preStop', { sleep: { seconds: 5 } }),
    JsonPatch.add('/spec/containers/0/restartPolicy', 'Always'),
  );
  const [pod] = synthSnapshot(chart);
  expect(pod.spec.containers[0].lifecycle.preStop).toEqual({});
  expect(pod.spec.containers[0].restartPolicy).toBeUndefined();
});

test('the synth-time checks on your own charts', () => {
  const app = Testing.app();
  const chart = new Chart(app, 'site');
  const worker = new kplus.Deployment(chart, 'worker', { containers: [{ image: 'busybox:1.36' }] });
  const replicas = 12;
  addStandardSynthChecks(chart); // every Service and pod spec under `chart`
  addSynthCheck(worker, () => gracePeriodProblems(worker, { seconds: 60, reason: 'draining the queue' }));
  addSynthCheck(chart, () => (replicas > 10 ? [`${replicas} replicas: ask the platform team first`] : []));
  new kplus.Service(chart, 'orphan', { ports: [{ port: 80 }] }).selectLabel('app', 'none');
  const lines = (() => {
    try {
      app.synth();
      return [];
    } catch (e) {
      return (e as Error).message.split('\n');
    }
  })();
  expect(lines).toEqual([
    'Validation failed with the following errors:',
    expect.stringMatching(
      /^ {2}\[site\] Service '.+' \(site\/orphan\/Resource\) at \/spec\/selector: selector \{"app":"none"\} matches no Pod/,
    ),
    '  [site] 12 replicas: ask the platform team first',
    expect.stringMatching(
      /^ {2}\[site\/worker\] Deployment '.+' \(site\/worker\/Resource\): terminationGracePeriodSeconds is 30, but draining the queue needs 60;/,
    ),
  ]);
});
