// Writes the template's main.ts with one construct in its chart, as a user's first edit:
// the import and one line in the constructor. The rest of the file is the template's.
//   node main-ts.js main.ts
'use strict';
const fs = require('node:fs');

const file = process.argv[2];
const template = fs.readFileSync(file, 'utf8');
const marker = '    // define resources here\n';
if (!template.includes(marker)) throw new Error(`${file}: not the cdk8s template's main.ts (no "${marker.trim()}")`);
fs.writeFileSync(
  file,
  `import { HttpdWithPostStart } from 'cdk8s-pod-lifecycle';\n${template.replace(marker, `${marker}    new HttpdWithPostStart(this, 'web');\n`)}`,
);
