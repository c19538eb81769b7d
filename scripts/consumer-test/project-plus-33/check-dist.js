// Checks what `cdk8s synth` wrote into dist/ in the cdk8s-plus-33 project.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const YAML = require('yaml'); // cdk8s's own YAML library, installed with it

const EXPECTED = {
  site: ['Pod', 'Service'],
  'git-site': ['Deployment', 'Service', 'PodDisruptionBudget'],
  'building-blocks': ['Deployment'],
};
const docs = {};
for (const [chart, kinds] of Object.entries(EXPECTED)) {
  const file = `dist/${chart}.k8s.yaml`;
  assert.ok(fs.existsSync(file), `${file} was not written`);
  docs[chart] = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
  assert.deepEqual(
    docs[chart].map((d) => d.kind),
    kinds,
    `${file}: kinds`,
  );
}

const httpd = docs.site[0].spec.containers[0];
assert.deepEqual(httpd.lifecycle.preStop, { exec: { command: ['sleep', '5'] } });
assert.equal(httpd.readinessProbe.httpGet.path, '/index.html');

const spec = docs['building-blocks'][0].spec.template.spec;
const app = spec.containers[0];
assert.deepEqual(app.lifecycle.postStart.exec.command.slice(0, 2), ['/bin/sh', '-c']);
assert.ok(app.lifecycle.postStart.exec.command[2].includes("'/www/index.html'"));
assert.ok(app.lifecycle.preStop.exec.command[2].includes('/preStopScriptOutput'));
assert.deepEqual(Object.fromEntries(app.env.map((e) => [e.name, e.valueFrom.fieldRef.fieldPath])), {
  POD_NAME: 'metadata.name',
  POD_NAMESPACE: 'metadata.namespace',
  POD_UID: 'metadata.uid',
  NODE_NAME: 'spec.nodeName',
});
const init = spec.initContainers[0];
assert.ok(init.command.join(' ').includes("'https://github.com/mdn/beginner-html-site-styled.git'"), 'repository is quoted');
assert.equal(init.securityContext.runAsUser, 65534);

console.log(`check-dist (cdk8s-plus-33): ${Object.keys(EXPECTED).length} charts synthesized as expected`);
