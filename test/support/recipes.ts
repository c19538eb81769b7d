// The ```ts blocks of README.md and docs/*.md ("recipes", scripts/consumer-test/recipes.js)
// and a way to run one in jest as `cdk8s synth` would: for test/readme-examples.test.ts and
// the e2e run of the cdk8s-plus-33 recipes.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { Yaml } from 'cdk8s';
import * as lib from '../../lib';
import { WARNINGS_ENV } from '../../lib/core/warnings';
import * as testing from '../../lib/testing';

/** One ```ts block: `name` is file-name safe (`docs-security-1`), `line` that of its fence. */
export interface Recipe {
  readonly name: string;
  readonly source: string;
  readonly line: number;
  readonly code: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const extractor = require('../../scripts/consumer-test/recipes.js') as { recipes(): Recipe[] };

/** Every recipe of README.md and docs/*.md, in page order. */
export const RECIPES: readonly Recipe[] = extractor.recipes();

const root = join(__dirname, '..', '..');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = { kind: string; metadata: { name?: string; labels?: Record<string, string> }; spec?: any; data?: any };

/** What running one block did: the files it synthesized (by chart) and what it printed on stderr. */
export interface Run {
  readonly charts: Record<string, Manifest[]>;
  readonly stderr: string;
}

const MODULES: Record<string, unknown> = { 'cdk8s-pod-lifecycle': lib, 'cdk8s-pod-lifecycle/testing': testing };

/** Runs a block as `cdk8s synth` would (its own outdir, warnings printed), jest's `test` run at once. */
export function runBlock(code: string): Run {
  const outdir = mkdtempSync(join(root, 'node_modules', '.cache', 'readme-block-out-'));
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2019 } }).outputText;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const requireBlock = (name: string) => MODULES[name] ?? require(name);
  const env = { outdir: process.env.CDK8S_OUTDIR, warnings: process.env[WARNINGS_ENV] };
  let stderr = '';
  const write = process.stderr.write;
  const log = console.log;
  process.env.CDK8S_OUTDIR = outdir;
  delete process.env[WARNINGS_ENV];
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  console.log = () => undefined;
  try {
    const runNow = (_name: string, fn: () => void) => fn();
    new Function('require', 'module', 'exports', 'test', 'it', 'describe', 'expect', js)(
      requireBlock,
      { exports: {} },
      {},
      runNow,
      runNow,
      runNow,
      expect,
    );
    const charts: Record<string, Manifest[]> = {};
    for (const file of readdirSync(outdir).filter((f) => f.endsWith('.k8s.yaml'))) {
      charts[file.replace(/\.k8s\.yaml$/, '')] = Yaml.load(join(outdir, file)) as Manifest[];
    }
    return { charts, stderr };
  } finally {
    process.stderr.write = write;
    console.log = log;
    process.env.CDK8S_OUTDIR = env.outdir;
    if (env.warnings === undefined) delete process.env[WARNINGS_ENV];
    else process.env[WARNINGS_ENV] = env.warnings;
    rmSync(outdir, { recursive: true, force: true });
  }
}
