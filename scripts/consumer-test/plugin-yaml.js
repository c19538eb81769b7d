// Prints the `validations:` entry of the cdk8s synth plugin as a docs page sets it up: the
// first ```yaml block of the page that starts with `validations:`. Exits 1 when the page or
// the block is missing, so run.sh can skip the plugin step until the page exists.
//   node plugin-yaml.js docs/plugin.md >> cdk8s.yaml
'use strict';
const fs = require('node:fs');

const page = process.argv[2];
if (!fs.existsSync(page)) process.exit(1);
const block = /^```yaml\n(validations:\n[\s\S]*?)^```$/m.exec(fs.readFileSync(page, 'utf8'));
if (!block) process.exit(1);
process.stdout.write(block[1]);
