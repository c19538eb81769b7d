// Runs every compiled recipe of DIR that synthesizes (`app.synth()`), each into OUT/<name>,
// in one node process (a process each would cost ~1.5 s of startup). A recipe that throws or
// writes anything on stderr (a warning) fails.
//   node synth-recipes.js recipes dist
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [dir, out] = process.argv.slice(2);
const failures = [];
let ran = 0;
for (const file of fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.js') && !f.endsWith('.test.js'))
  .sort()) {
  const full = path.resolve(dir, file);
  if (!fs.readFileSync(full, 'utf8').includes('app.synth()')) continue;
  const name = path.basename(file, '.js');
  process.env.CDK8S_OUTDIR = path.resolve(out, name);
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = (chunk) => ((stderr += chunk), true);
  try {
    require(full);
  } catch (e) {
    stderr += `threw: ${e && e.stack}`;
  } finally {
    process.stderr.write = write;
  }
  ran++;
  if (stderr !== '') failures.push(`${name}:\n${stderr}`);
}
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log(`${ran} recipes synthesized`);
