#!/usr/bin/env node
// Part of `npm run docs`: every optional property of an exported interface in lib/ must
// say in JSDoc what it is and what happens when it is left out (`@default`). TypeDoc's
// validation checks that members are documented, not that their defaults are.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.join(__dirname, '..');
const files = fs
  .readdirSync(path.join(root, 'lib'), { recursive: true })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => path.join(root, 'lib', f));

const problems = [];
for (const file of files) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  for (const statement of source.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const member of statement.members) {
      if (!ts.isPropertySignature(member) || !member.questionToken) continue;
      const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
      const summary = docs
        .map((d) => ts.getTextOfJSDocComment(d.comment) ?? '')
        .join('')
        .trim();
      const hasDefault = docs.some((d) => (d.tags ?? []).some((t) => t.tagName.text === 'default'));
      const where = `${path.relative(root, file)}:${source.getLineAndCharacterOfPosition(member.getStart()).line + 1}`;
      const name = `${statement.name.text}.${member.name.getText(source)}`;
      if (!summary) problems.push(`${where} ${name}: no description in its JSDoc`);
      if (!hasDefault) problems.push(`${where} ${name}: optional, but its JSDoc has no @default`);
    }
  }
}
if (problems.length > 0) {
  console.error(`${problems.length} documentation problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-defaults: every optional property of ${files.length} lib files documents its @default`);
