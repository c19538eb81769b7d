import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

// The layers of lib/ and which may import which; arrows only point down: core primitives,
// the rules on the produced objects, the building blocks shared by several constructs, then
// one folder per construct family, which never import each other.
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: ['core'],
  rules: ['core', 'rules'], // the rules engine: every rule about the produced objects, as pure functions over plain JSON
  'synth-checks': ['core', 'rules', 'synth-checks'], // the synth-time door onto the rules engine
  blocks: ['core', 'rules', 'synth-checks', 'blocks'],
  httpd: ['core', 'rules', 'synth-checks', 'blocks', 'httpd'],
  prestop: ['core', 'rules', 'synth-checks', 'blocks', 'prestop'],
  'git-site': ['core', 'rules', 'synth-checks', 'blocks', 'git-site'],
  testing: ['core', 'rules', 'testing'], // the /testing door onto the rules engine, and the schema and YAML-text checkers
  'cdk8s-plugin': ['core', 'rules', 'testing', 'cdk8s-plugin'], // the cdk8s synth door: the rules, schema and YAML-text checks on manifest files
};

const lib = join(__dirname, '..', 'lib');
const files = (readdirSync(lib, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(lib, f));

function folderOf(file: string): string {
  return relative(lib, file).split('/')[0];
}

test('every file of lib/ is in a layer folder, except the index', () => {
  const loose = files.filter((f) => !relative(lib, f).includes('/')).map((f) => relative(lib, f));
  expect(loose).toEqual(['index.ts']);
  for (const file of files.filter((f) => relative(lib, f).includes('/'))) expect(Object.keys(MAY_IMPORT)).toContain(folderOf(file));
});

test.each(files.filter((f) => relative(lib, f).includes('/')).map((f) => [relative(lib, f), f]))(
  '%s imports only from the layers below it',
  (_name, file) => {
    const source = readFileSync(file, 'utf8');
    const folder = folderOf(file);
    for (const [, spec] of source.matchAll(/from '(\.[^']*)'/g)) {
      const target = folderOf(join(dirname(file), spec));
      expect({ import: spec, allowed: MAY_IMPORT[folder].includes(target) }).toEqual({ import: spec, allowed: true });
    }
  },
);

test('one construct per file', () => {
  for (const file of files) {
    const constructs = readFileSync(file, 'utf8').match(/^export class \w+ extends Construct\b/gm) ?? [];
    expect({ file: relative(lib, file), constructs: constructs.length <= 1 }).toEqual({ file: relative(lib, file), constructs: true });
  }
});
