import { join } from 'node:path';
import { ApiObject, App, Chart, JsonPatch, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { addRawJsonPatch, makeNativeSidecar } from '../../lib';
import { tempDir } from '../support/run';

const SLEEP = { preStop: { sleep: { seconds: 5 } } };
const LIFECYCLE = '/spec/template/spec/containers/0/lifecycle';

function deployment(chart: Chart) {
  const workload = new kplus.Deployment(chart, 'app');
  workload.addContainer({ image: 'busybox:1.36', name: 'main' });
  return workload;
}

test('cdk8s-plus-27 drops what an ApiObject JSON patch writes in a field its 1.27 types lack (cdk8s#2172)', () => {
  const chart = Testing.chart();
  ApiObject.of(deployment(chart)).addJsonPatch(JsonPatch.add(LIFECYCLE, SLEEP));
  // Worse than nothing: an empty preStop handler.
  expect(Testing.synth(chart)[0].spec.template.spec.containers[0].lifecycle).toEqual({ preStop: {} });
});

test('addRawJsonPatch writes it, in Testing.synth, app.synthYaml() and the files app.synth() writes', () => {
  const outdir = tempDir('synth-');
  const app = new App({ outdir });
  const chart = new Chart(app, 'raw');
  addRawJsonPatch(deployment(chart), JsonPatch.add(LIFECYCLE, SLEEP));
  expect(Testing.synth(chart)[0].spec.template.spec.containers[0].lifecycle).toEqual(SLEEP);
  expect(app.synthYaml()).toMatch(/\n( +)lifecycle:\n\1 {2}preStop:\n\1 {4}sleep:\n\1 {6}seconds: 5\n/);
  app.synth();
  expect(Yaml.load(join(outdir, 'raw.k8s.yaml'))[0].spec.template.spec.containers[0].lifecycle).toEqual(SLEEP);
});

test('patches apply in order, after the ApiObject patches, on any ApiObject', () => {
  const chart = Testing.chart();
  const raw = new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });
  addRawJsonPatch(raw, JsonPatch.add('/data/b', '2'));
  raw.addJsonPatch(JsonPatch.add('/data/a', 'from addJsonPatch'));
  addRawJsonPatch(raw, JsonPatch.replace('/data/b', '3'), JsonPatch.add('/data/a', 'raw wins'));
  expect(Testing.synth(chart)[0].data).toEqual({ a: 'raw wins', b: '3' });
});

test('a patch of a missing path fails the synthesis and names the object', () => {
  const chart = Testing.chart();
  addRawJsonPatch(deployment(chart), JsonPatch.replace('/spec/nothing/here', 1));
  expect(() => Testing.synth(chart)).toThrow(/raw JSON patch 1 of 1 of 'test\/app\/Resource' failed/);
});

test('makeNativeSidecar sets restartPolicy on that init container only, and refuses a regular container', () => {
  const chart = Testing.chart();
  const workload = deployment(chart);
  workload.addInitContainer({ image: 'busybox:1.36', name: 'setup' });
  const sidecar = workload.addInitContainer({ image: 'busybox:1.36', name: 'sidecar' });
  makeNativeSidecar(workload, sidecar);
  const spec = Testing.synth(chart)[0].spec.template.spec;
  expect(spec.initContainers.map((c: { restartPolicy?: string }) => c.restartPolicy)).toEqual([undefined, 'Always']);
  expect(() => makeNativeSidecar(workload, workload.containers[0])).toThrow("container 'main' is not an init container of test/app");
});
