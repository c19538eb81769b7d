// A user's tests, without jest: the cdk8s-pod-lifecycle/testing entry and synth-time validation.
import { strict as assert } from 'node:assert';
import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { HttpdWithPostStart } from 'cdk8s-pod-lifecycle';
import { assertValidManifests, findSchemaViolations, KUBERNETES_SCHEMA_VERSION, synthSnapshot } from 'cdk8s-pod-lifecycle/testing';
import { buildApp } from './charts';

const app = buildApp(Testing.app());
for (const chart of app.charts) assertValidManifests(synthSnapshot(chart));
assert.equal(KUBERNETES_SCHEMA_VERSION, '1.27.1');

const site = () => buildApp(Testing.app()).charts.filter((c) => c.node.id === 'site')[0];
const yaml = synthSnapshot(site(), { yaml: true, dropCdk8sLabels: true });
assert.ok(yaml.includes('kind: Pod') && !yaml.includes('cdk8s.io/metadata.addr'));
assert.equal(synthSnapshot(site(), { yaml: true, dropCdk8sLabels: true }), yaml, 'snapshots are stable');

const bad = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'i', bogus: 1 }] } };
assert.deepEqual(findSchemaViolations([bad]), [
  { object: 'Pod/x', path: '/spec/containers/0/bogus', message: 'is not a field of this object' },
]);

// A label removed after the construct was built: synth fails and names the construct path.
const broken = buildApp(Testing.app());
const web = broken.charts.filter((c) => c.node.id === 'site')[0].node.findChild('web') as HttpdWithPostStart;
ApiObject.of(web.pod).addJsonPatch(JsonPatch.remove('/metadata/labels/cdk8s.io~1metadata.addr'));
assert.throws(() => broken.synth(), /\[site\/web\] Service 'svc-nodeport-httpd' .* matches no Pod/);
console.log('check-testing: /testing entry and synth-time validation work from the installed package');
