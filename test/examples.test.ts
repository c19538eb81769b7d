import { App, Testing } from 'cdk8s';
import { assertValidManifests } from '../lib/testing';
import { buildExamples } from '../examples/main';
import { expectYamlRoundTrip } from './support/yaml-round-trip';

const app = buildExamples(Testing.app());

function chartManifests(id: string) {
  const chart = app.charts.find((c) => c.node.id === id);
  if (!chart) throw new Error(`no example chart ${id}`);
  return Testing.synth(chart);
}

test.each(app.charts.map((c) => c.node.id))('example chart %s is valid Kubernetes 1.27 and stable', (id) => {
  const manifests = chartManifests(id);
  assertValidManifests(manifests);
  expectYamlRoundTrip(manifests);
  expect(manifests).toMatchSnapshot();
});

test("the postStart example is the seed's first scenario", () => {
  const [pod, service] = chartManifests('httpd-post-start');
  expect(pod.metadata.name).toBe('pod-httpd');
  expect(pod.metadata.labels.component).toBe('httpd');
  expect(pod.spec.containers[0].name).toBe('cntr-httpd');
  expect(pod.spec.containers[0].lifecycle.postStart.exec.command[2]).toContain("'This content was created by the postStart hook'");
  expect(service.metadata.name).toBe('svc-nodeport-httpd');
  expect(service.spec.type).toBe('NodePort');
});

test('synthesis is deterministic', () => {
  const again = buildExamples(Testing.app());
  expect(again.charts.map((c) => Testing.synth(c))).toEqual(app.charts.map((c) => Testing.synth(c)));
  expect(app).toBeInstanceOf(App);
});
