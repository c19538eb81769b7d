// Checks what the consumer project synthesized into DIST/<name>/: every recipe wrote at least
// one non-empty file of objects with a kind and a name, and main.ts (one HttpdWithPostStart in
// the template's chart) wrote its Pod and Service. What each recipe promises is asserted by
// test/readme-examples.test.ts; this proves the installed package does the same.
//   node check-dist.js DIST
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const YAML = createRequire(path.join(process.cwd(), 'package.json'))('yaml'); // cdk8s's own YAML library

const dist = process.argv[2];
let objects = 0;
const byDir = {};
for (const dir of fs.readdirSync(dist)) {
  const files = fs.readdirSync(path.join(dist, dir)).filter((f) => f.endsWith('.k8s.yaml'));
  assert.ok(files.length > 0, `${dir}: no manifest written`);
  byDir[dir] = files.flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(dist, dir, f), 'utf8')).map((d) => d.toJS()));
  for (const o of byDir[dir]) {
    assert.ok(o && o.kind && o.metadata && o.metadata.name, `${dir}: an object without kind or name`);
    objects++;
  }
}
assert.deepEqual(
  byDir.main.map((o) => o.kind),
  ['Pod', 'Service'],
  'main.ts: the HttpdWithPostStart',
);
assert.equal(byDir.main[1].spec.externalIPs, undefined, 'no empty externalIPs');
console.log(`synthesized: ${Object.keys(byDir).length} apps, ${objects} objects`);
