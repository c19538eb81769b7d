// `npm run bench -- --only testing`: what the /testing checkers cost in a fresh process
// (every jest test file is one): the first call, and then per object, for the schema checker
// (ajv standalone code cached on disk vs compiling the validators, as before) and the Pod
// Security check. See docs/bench-testing-tools.md.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App, Chart, Testing } from 'cdk8s';
import { evaluatePodSecurity, findSchemaViolations } from '../lib/testing';
import { BENCH_ENTRIES } from './entries';

/** The targets for a fresh process. */
export const TARGET_FIRST_CALL_MS = 30;
export const TARGET_PER_OBJECT_MS = 1;

/** How the schema checker gets its validators in the measured process. */
export type TestingMode = 'standalone' | 'compile' | 'first-ever';
const MODES: Record<TestingMode, string> = {
  standalone: 'standalone code cached in node_modules/.cache (now)',
  compile: 'ajv compiles the validators (before: CDK8S_POD_LIFECYCLE_STANDALONE=0)',
  'first-ever': 'empty validator cache: compile, write the standalone code (once per install)',
};

/** What one child process measured. */
export interface TestingSample {
  readonly schemaFirstMs: number;
  /** CPU time (user + system) of the first call: less disturbed than wall time when other processes share the cores. */
  readonly schemaFirstCpuMs: number;
  readonly schemaPerObjectMs: number;
  readonly podSecurityFirstMs: number;
  readonly podSecurityPerObjectMs: number;
  readonly objects: number;
}

/** The manifests of one chart with every benchmarked construct (Pod, Deployment, DaemonSet, Services, ...). */
function manifests(): unknown[] {
  const chart = new Chart(new App(), 'bench');
  for (const entry of BENCH_ENTRIES) entry.ours(chart, 0);
  return Testing.synth(chart);
}

/** Runs in the child: the first call of each checker, then per object over 1,000 objects. */
export function runTestingChild(): void {
  const objects = manifests();
  const many = Array.from({ length: Math.ceil(1000 / objects.length) }, () => objects).flat();
  const cpu0 = process.cpuUsage();
  let t0 = performance.now();
  findSchemaViolations(objects);
  const schemaFirstMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const schemaFirstCpuMs = (cpu.user + cpu.system) / 1000;
  t0 = performance.now();
  findSchemaViolations(many);
  const schemaPerObjectMs = (performance.now() - t0) / many.length;
  t0 = performance.now();
  evaluatePodSecurity(objects, 'restricted');
  const podSecurityFirstMs = performance.now() - t0;
  t0 = performance.now();
  evaluatePodSecurity(many, 'restricted');
  const podSecurityPerObjectMs = (performance.now() - t0) / many.length;
  const sample: TestingSample = {
    schemaFirstMs,
    schemaFirstCpuMs,
    schemaPerObjectMs,
    podSecurityFirstMs,
    podSecurityPerObjectMs,
    objects: objects.length,
  };
  process.stdout.write(JSON.stringify(sample));
}

function schemaCacheFile(): string {
  const modelsDir = dirname(require.resolve('kubernetes-models/package.json'));
  return join(modelsDir, '..', '.cache', 'cdk8s-pod-lifecycle', 'k8s-schemas-4.3.0.json');
}

function measure(mode: TestingMode, bundle: string): TestingSample {
  const env: NodeJS.ProcessEnv = { ...process.env };
  let tmp: string | undefined;
  if (mode === 'compile') env.CDK8S_POD_LIFECYCLE_STANDALONE = '0';
  if (mode === 'first-ever') {
    // A cache folder with the schema JSON (kept since before) but no validators yet.
    tmp = mkdtempSync(join(os.tmpdir(), 'bench-cache-'));
    copyFileSync(schemaCacheFile(), join(tmp, 'k8s-schemas-4.3.0.json'));
    env.CDK8S_POD_LIFECYCLE_CACHE_DIR = tmp;
  }
  try {
    const r = spawnSync(process.execPath, [bundle, '--testing-child'], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`testing child (${mode}) failed:\n${r.stderr}`);
    return JSON.parse(r.stdout) as TestingSample;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A target and whether this run met it. */
export interface TestingTarget {
  readonly what: string;
  readonly figure: string;
  readonly met: boolean;
}

/** Prints the table and returns the targets. `bundle` is the benchmark's own script (run with `--testing-child`). */
export function benchTestingTools(runs: number, bundle: string): TestingTarget[] {
  findSchemaViolations([]); // the validator cache and schema JSON exist before the first measurement
  for (const m of manifests()) findSchemaViolations([m]);
  console.log(`\n## /testing checkers in a fresh process (median of ${runs} runs, modes alternating)\n`);
  const samples: Record<TestingMode, TestingSample[]> = { standalone: [], compile: [], 'first-ever': [] };
  const modes = Object.keys(MODES) as TestingMode[];
  for (let run = 0; run < runs; run++) {
    for (const mode of run % 2 === 0 ? modes : [...modes].reverse()) samples[mode].push(measure(mode, bundle));
  }
  const objects = samples.standalone[0].objects;
  console.log(
    `First call on the ${objects} objects of one chart with every benchmarked construct; per object: 1,000 more, same process.\n`,
  );
  console.log(
    '| schema checker validators | first assertValidManifests ms | its CPU ms | then per object ms | first call of each run ms |',
  );
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const mode of modes) {
    const s = samples[mode];
    console.log(
      `| ${MODES[mode]} | ${median(s.map((x) => x.schemaFirstMs)).toFixed(1)} | ${median(s.map((x) => x.schemaFirstCpuMs)).toFixed(1)} | ` +
        `${median(s.map((x) => x.schemaPerObjectMs)).toFixed(3)} | ` +
        `${s.map((x) => x.schemaFirstMs.toFixed(0)).join(' ')} |`,
    );
  }
  const ps = samples.standalone;
  console.log('\n| Pod Security check (restricted) | first call ms | then per object ms | first call of each run ms |');
  console.log('| --- | ---: | ---: | --- |');
  console.log(
    `| evaluatePodSecurity (no compile step; same in every mode) | ${median(ps.map((x) => x.podSecurityFirstMs)).toFixed(2)} | ` +
      `${median(ps.map((x) => x.podSecurityPerObjectMs)).toFixed(4)} | ${ps.map((x) => x.podSecurityFirstMs.toFixed(1)).join(' ')} |`,
  );
  const first = median(samples.standalone.map((x) => x.schemaFirstMs));
  const firstCpu = median(samples.standalone.map((x) => x.schemaFirstCpuMs));
  const before = median(samples.compile.map((x) => x.schemaFirstMs));
  const perObject = median(samples.standalone.map((x) => x.schemaPerObjectMs));
  const psFirst = median(ps.map((x) => x.podSecurityFirstMs));
  const psPer = median(ps.map((x) => x.podSecurityPerObjectMs));
  const files = readdirSync(dirname(schemaCacheFile())).length;
  console.log(
    `\n- first schema check: **${first.toFixed(1)} ms** now, ${before.toFixed(0)} ms before (${(before / first).toFixed(0)}× faster); cache folder entries: ${files}`,
  );
  return [
    {
      what: `first assertValidManifests in a fresh process ≤ ${TARGET_FIRST_CALL_MS} ms, then ≤ ${TARGET_PER_OBJECT_MS} ms per object`,
      figure: `${first.toFixed(1)} ms wall (${firstCpu.toFixed(1)} ms CPU), then ${perObject.toFixed(3)} ms per object (before: ${before.toFixed(0)} ms)`,
      met: first <= TARGET_FIRST_CALL_MS && perObject <= TARGET_PER_OBJECT_MS,
    },
    {
      what: `first Pod Security check ≤ ${TARGET_FIRST_CALL_MS} ms, then ≤ ${TARGET_PER_OBJECT_MS} ms per object`,
      figure: `${psFirst.toFixed(2)} ms, then ${psPer.toFixed(4)} ms per object`,
      met: psFirst <= TARGET_FIRST_CALL_MS && psPer <= TARGET_PER_OBJECT_MS,
    },
  ];
}
