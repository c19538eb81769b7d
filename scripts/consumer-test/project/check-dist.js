// Checks what `cdk8s synth` wrote into dist/: one file per chart, the kinds, a few fields.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const YAML = require('yaml'); // cdk8s's own YAML library, installed with it

/** Chart id -> the kinds its file holds, in order. Add a chart for each new construct. */
const EXPECTED = {
  site: ['Pod', 'Service'],
  'building-blocks': ['Deployment'],
  'git-site': ['Deployment', 'Service', 'PodDisruptionBudget'],
  audit: ['Pod', 'Service', 'DaemonSet'],
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
assert.deepEqual(
  fs.readdirSync('dist').sort(),
  Object.keys(EXPECTED)
    .map((c) => `${c}.k8s.yaml`)
    .sort(),
  'dist/ holds exactly the expected charts',
);

const [pod, service] = docs.site;
const httpd = pod.spec.containers[0];
assert.deepEqual(httpd.lifecycle.postStart.exec.command.slice(0, 2), ['/bin/sh', '-c']);
assert.ok(httpd.lifecycle.postStart.exec.command[2].includes(`'quotes '\\'' " and $(this) stay literal'`), 'content is quoted');
assert.equal(httpd.securityContext.runAsNonRoot, true);
assert.equal(service.spec.type, 'NodePort');
assert.equal(service.spec.ports[0].nodePort, 30080);

const [deployment] = docs['building-blocks'];
const app = deployment.spec.template.spec.containers[0];
assert.ok(app.lifecycle.postStart.exec.command[2].includes("'/www/index.html'"));
assert.deepEqual(app.securityContext.capabilities, { drop: ['ALL'] });

const [gitSite] = docs['git-site'];
assert.equal(gitSite.spec.template.spec.containers[0].livenessProbe.tcpSocket.port, 80);
const cloneScript = gitSite.spec.template.spec.initContainers[0].command.join(' ');
assert.ok(cloneScript.includes("'https://github.com/mdn/beginner-html-site-styled.git'"), 'repository is quoted');

const [auditedPod, , collector] = docs.audit;
const hostPath = (spec) => spec.volumes.find((v) => v.hostPath).hostPath.path;
assert.equal(hostPath(auditedPod.spec), hostPath(collector.spec.template.spec), 'pod and collector share one directory');
assert.ok(auditedPod.spec.containers[0].lifecycle.preStop.exec.command[0].startsWith('/bin/'));

console.log(`check-dist: ${Object.keys(EXPECTED).length} charts synthesized as expected`);
