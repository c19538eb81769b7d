import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// lib/ reads and writes only the public API of cdk8s, cdk8s-plus and constructs: a private
// field can move in a patch release, and a check that reads it then stops finding things
// without an error.
const PRIVATE_ACCESS = [
  /\b_selector\b/,
  /\b_lifecycle\b/,
  /\b_toJson\b/,
  /\bcommandOptions\b/,
  /(?<!\.\.)\.patches\b/, // not the spread `...patches`
  /as unknown as \{/,
  /as unknown as Record</,
  /\(\s*\w+(\.\w+)*\s+as\s+any\s*\)/,
  /\[\s*'_\w+'\s*\]/,
];

const lib = join(__dirname, '..', '..', 'lib');
const files = (readdirSync(lib, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));

test.each(files.map((f) => [relative(lib, join(lib, f))]))(
  '%s reaches into no private field of cdk8s, cdk8s-plus or constructs',
  (file) => {
    const lines = readFileSync(join(lib, file), 'utf8').split('\n');
    const hits = lines.flatMap((line, i) => (PRIVATE_ACCESS.some((p) => p.test(line)) ? [`${i + 1}: ${line.trim()}`] : []));
    expect(hits).toEqual([]);
  },
);

test('the patterns catch the reaches that lib/synth-checks/pass-cache.ts made before the rules engine', () => {
  const before = [
    'const patches = (object as unknown as { patches?: unknown }).patches;',
    'const selector = (owner as unknown as { _selector?: unknown })._selector;',
    'const lifecycle = (container as any)._lifecycle;',
    'words: lifecycle?.[hook]?.commandOptions?.command ?? [],',
    'const op = patch._toJson();',
  ];
  for (const line of before) expect([line, PRIVATE_ACCESS.some((p) => p.test(line))]).toEqual([line, true]);
});
