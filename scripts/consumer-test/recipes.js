// The ```ts blocks of README.md and docs/*.md: each is a whole file (a "recipe") that must
// compile in a project made by `cdk8s init typescript-app`. One extractor for both the jest
// test (test/readme-examples.test.ts) and the consumer test (run.sh), so they check the same set.
//   node scripts/consumer-test/recipes.js OUT_DIR   writes OUT_DIR/<page>-<n>.ts, prints the names
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const repo = path.resolve(__dirname, '..', '..');

/** The markdown files whose ```ts blocks are recipes, relative to the repository. */
function markdownFiles() {
  const docs = fs.existsSync(path.join(repo, 'docs')) ? fs.readdirSync(path.join(repo, 'docs')).filter((f) => f.endsWith('.md')) : [];
  return ['README.md', ...docs.sort().map((f) => `docs/${f}`)];
}

/**
 * The ```ts blocks of one markdown text, fences possibly indented (inside a list item): the
 * indentation of the opening fence is removed from every line of the block.
 */
function tsBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```ts\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^ *```\s*$/.test(lines[end])) end++;
    if (end === lines.length) throw new Error(`unclosed \`\`\`ts block at line ${i + 1}`);
    const code = lines.slice(start, end).map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)));
    blocks.push({ line: i + 1, code: `${code.join('\n')}\n` });
    i = end;
  }
  return blocks;
}

/** Every recipe: `{ name, source, line, code }`, `name` a file-name-safe id such as `docs-security-1`. */
function recipes() {
  const all = [];
  for (const source of markdownFiles()) {
    const stem = source
      .replace(/\.md$/, '')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .toLowerCase();
    tsBlocks(fs.readFileSync(path.join(repo, source), 'utf8')).forEach((block, n) => {
      all.push({ name: `${stem}-${n + 1}`, source, line: block.line, code: block.code });
    });
  }
  return all;
}

module.exports = { recipes, tsBlocks, markdownFiles };

if (require.main === module) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node recipes.js OUT_DIR');
  fs.mkdirSync(out, { recursive: true });
  for (const recipe of recipes()) {
    fs.writeFileSync(path.join(out, `${recipe.name}.ts`), `// ${recipe.source}:${recipe.line}\n${recipe.code}`);
    console.log(recipe.name);
  }
}
