// `npm run bench`: synth speed and memory of this library's constructs against the same
// objects written by hand with cdk8s-plus-27, the cold `cdk8s synth` of the examples
// against the ts-node way, and the jest suite's wall time; with `--only git-sync`, the git
// site's updates (bench/git-sync.ts). See BENCHMARKS.md.
//
// Each measurement runs in a fresh child process (this same bundle, `--child`), so peak
// RSS is per measurement and every run starts from the same GC and JIT state. Ours and
// hand-written alternate run by run, so load from other processes hits both alike.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { App, Chart } from 'cdk8s';
import { BENCH_ENTRIES } from './entries';
import { BenchEntry } from './entry';
import { synthInstances } from './equivalence';
import { benchGitSync, GIT_SYNC_VARIANTS } from './git-sync';
import { benchTestingTools, runTestingChild } from './testing-tools';

// The library's warnings (the tutorial's /tmp flag directory) would print once per instance: not what is measured.
process.env.CDK8S_POD_LIFECYCLE_WARNINGS ??= 'silent';

const ROOT = join(__dirname, '..');
const VARIANTS = ['ours', 'handWritten'] as const;
type Variant = (typeof VARIANTS)[number];
const SECTIONS = ['constructs', 'synth', 'jest', 'testing'] as const;
// Not in a default run: minutes of disk and network I/O, with nothing to do with synth.
const ONLY_SECTIONS = ['git-sync'] as const;
const USAGE = `usage: npm run bench -- [--sizes 100,1000,10000] [--runs N] [--synth-runs 5] [--jest-runs 3]
                        [--testing-runs 7] [--only constructs,synth,jest,testing,git-sync] [--cpu-prof DIR]
                        [--git-size-mib 100] [--git-files 25] [--git-updates 10] [--git-runs 3]
                        [--git-variants library,hand-incremental,hand-full-clone]
  --runs        runs per construct size (default: 9, and 3 from 10,000 instances up)
  --cpu-prof    write a V8 CPU profile of every construct measurement into DIR
  --only        sections to run (default: all but git-sync)`;

// The issue's targets.
const TARGET_CONSTRUCT_RATIO = 1.1;
const TARGET_CONSTRUCT_SIZES = [1000, 10000];
const TARGET_SYNTH_RATIO = 0.5;
const TARGET_JEST_SECONDS = 20;

/** What one child process measured. */
interface Sample {
  readonly constructMs: number;
  readonly synthMs: number;
  /** CPU time (user + system, all threads) of the construct phase: less sensitive to other load than wall time. */
  readonly constructCpuMs: number;
  /** CPU time of construct + synth. */
  readonly cpuMs: number;
  readonly maxRssMiB: number;
  /** sha256 of the YAML written, to check ours and hand-written wrote the same bytes. */
  readonly yamlSha256: string;
}

interface ChildTask {
  readonly entry: string;
  readonly variant: Variant;
  readonly instances: number;
  readonly outdir: string;
}

/** A target and whether this run met it. */
interface TargetResult {
  readonly what: string;
  readonly figure: string;
  readonly met: boolean;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      sizes: { type: 'string', default: '100,1000,10000' },
      runs: { type: 'string' },
      'synth-runs': { type: 'string', default: '5' },
      'jest-runs': { type: 'string', default: '3' },
      'testing-runs': { type: 'string', default: '7' },
      'testing-child': { type: 'boolean' },
      only: { type: 'string', default: SECTIONS.join(',') },
      'cpu-prof': { type: 'string' },
      'git-size-mib': { type: 'string', default: '100' },
      'git-files': { type: 'string', default: '25' },
      'git-updates': { type: 'string', default: '10' },
      'git-runs': { type: 'string', default: '3' },
      'git-variants': { type: 'string', default: GIT_SYNC_VARIANTS.join(',') },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return console.log(USAGE);
  if (values.child !== undefined) return runChild(JSON.parse(values.child) as ChildTask);
  if (values['testing-child']) return runTestingChild();

  const sections = values.only.split(',');
  const known: readonly string[] = [...SECTIONS, ...ONLY_SECTIONS];
  const unknown = sections.filter((s) => !known.includes(s));
  if (unknown.length > 0) fail(`--only: unknown section(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const fixedRuns = values.runs === undefined ? undefined : positiveInt('--runs', values.runs);
  const started = performance.now();
  printMachine();
  const targets: TargetResult[] = [];
  if (sections.includes('constructs')) {
    const sizes = values.sizes.split(',').map((s) => positiveInt('--sizes', s));
    targets.push(...benchConstructs(sizes, (n) => fixedRuns ?? (n >= 10000 ? 3 : 9), values['cpu-prof']));
  }
  if (sections.includes('synth')) targets.push(benchColdSynth(positiveInt('--synth-runs', values['synth-runs'])));
  if (sections.includes('jest')) targets.push(benchJest(positiveInt('--jest-runs', values['jest-runs'])));
  if (sections.includes('testing'))
    targets.push(...benchTestingTools(positiveInt('--testing-runs', values['testing-runs']), process.argv[1]));
  if (sections.includes('git-sync')) {
    const option = (name: 'git-size-mib' | 'git-files' | 'git-updates' | 'git-runs') => positiveInt(`--${name}`, values[name]);
    const gitSync = {
      sizeMib: option('git-size-mib'),
      files: option('git-files'),
      updates: option('git-updates'),
      runs: option('git-runs'),
      variants: values['git-variants'].split(','),
    };
    const wrong = gitSync.variants.filter((v) => !(GIT_SYNC_VARIANTS as readonly string[]).includes(v));
    if (wrong.length > 0) fail(`--git-variants: unknown ${wrong.join(', ')}; known: ${GIT_SYNC_VARIANTS.join(', ')}`);
    targets.push(...(await benchGitSync(gitSync)));
  }

  if (targets.length > 0) console.log('\n## Targets\n');
  for (const t of targets) console.log(`- ${t.met ? 'met' : '**missed**'}: ${t.what}: ${t.figure}`);
  console.log(`\nbenchmark wall time: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

// ---------------------------------------------------------------------------------------
// Constructs: ours vs hand-written, per instance count.

function runChild(task: ChildTask): void {
  const entry = findEntry(task.entry);
  const build = entry[task.variant];
  // The modules are loaded already (this bundle requires them on start), for both variants alike.
  const app = new App({ outdir: task.outdir });
  const chart = new Chart(app, 'bench');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < task.instances; i++) build(chart, i);
  const t1 = performance.now();
  const constructCpu = process.cpuUsage(cpu0);
  app.synth(); // what `cdk8s synth` runs: resolve, apply patches, write <chart>.k8s.yaml
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const sample: Sample = {
    constructMs: t1 - t0,
    synthMs: t2 - t1,
    constructCpuMs: (constructCpu.user + constructCpu.system) / 1000,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    yamlSha256: createHash('sha256')
      .update(readFileSync(join(task.outdir, 'bench.k8s.yaml')))
      .digest('hex'),
  };
  process.stdout.write(JSON.stringify(sample));
}

function measureChild(task: ChildTask, cpuProfDir: string | undefined): Sample {
  const profArgs =
    cpuProfDir === undefined
      ? []
      : [
          '--cpu-prof',
          `--cpu-prof-dir=${cpuProfDir}`,
          `--cpu-prof-name=${task.entry}-${task.variant}-${task.instances}-${Date.now()}.cpuprofile`,
        ];
  const result = spawnSync(process.execPath, [...profArgs, process.argv[1], '--child', JSON.stringify(task)], { encoding: 'utf8' });
  if (result.status !== 0) fail(`child ${JSON.stringify(task)} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Sample;
}

function benchConstructs(sizes: number[], runsFor: (instances: number) => number, cpuProfDir: string | undefined): TargetResult[] {
  const runCounts = [...new Set(sizes.map(runsFor))].join(' or ');
  console.log(`\n## Constructs vs hand-written cdk8s-plus-27 (median of ${runCounts} runs, each in a fresh process)\n`);
  for (const entry of BENCH_ENTRIES) {
    // The comparison is only honest if both sides produce the same objects.
    if (!isDeepStrictEqual(synthInstances(entry.handWritten), synthInstances(entry.ours))) {
      fail(`${entry.name}: the hand-written chart does not synthesize the same objects; see npx jest test/bench-equivalence.test.ts`);
    }
  }
  console.log('Each cell: ours / hand-written (ratio). total = construct + synth. CPU = user + system time, all threads.\n');
  console.log('| construct | N | runs | construct ms | construct CPU ms | synth ms | total ms | total CPU ms | peak RSS MiB | s |');
  console.log('| --- | ---: | ---: | --- | --- | --- | --- | --- | --- | ---: |');
  const targets: TargetResult[] = [];
  for (const entry of BENCH_ENTRIES) {
    for (const instances of sizes) {
      const started = performance.now();
      const runs = runsFor(instances);
      const samples: Record<Variant, Sample[]> = { ours: [], handWritten: [] };
      for (let run = 0; run < runs; run++) {
        for (const variant of run % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
          const outdir = mkdtempSync(join(os.tmpdir(), 'bench-'));
          try {
            samples[variant].push(measureChild({ entry: entry.name, variant, instances, outdir }, cpuProfDir));
          } finally {
            rmSync(outdir, { recursive: true, force: true });
          }
        }
      }
      const hashes = new Set([...samples.ours, ...samples.handWritten].map((s) => s.yamlSha256));
      if (hashes.size !== 1) fail(`${entry.name} N=${instances}: ours and hand-written wrote different YAML`);
      const ratio = (pick: (s: Sample) => number) => median(samples.ours.map(pick)) / median(samples.handWritten.map(pick));
      const cell = (pick: (s: Sample) => number) =>
        `${median(samples.ours.map(pick)).toFixed(0)} / ${median(samples.handWritten.map(pick)).toFixed(0)} (**${ratio(pick).toFixed(2)}×**)`;
      const total = (s: Sample) => s.constructMs + s.synthMs;
      console.log(
        `| ${entry.name} | ${instances.toLocaleString('en-US')} | ${runs} | ${cell((s) => s.constructMs)} | ${cell((s) => s.constructCpuMs)} | ${cell((s) => s.synthMs)} | ` +
          `${cell(total)} | ${cell((s) => s.cpuMs)} | ${cell((s) => s.maxRssMiB)} | ${((performance.now() - started) / 1000).toFixed(0)} |`,
      );
      if (TARGET_CONSTRUCT_SIZES.includes(instances)) {
        // Judged on CPU time: the same work as wall time on a quiet machine, and far less
        // disturbed when other processes share the cores.
        targets.push({
          what: `${entry.name} ≤ ${TARGET_CONSTRUCT_RATIO}× hand-written at ${instances.toLocaleString('en-US')} (construct + synth CPU; wall in brackets)`,
          figure: `${ratio((s) => s.cpuMs).toFixed(2)}× (${ratio(total).toFixed(2)}×)`,
          met: ratio((s) => s.cpuMs) <= TARGET_CONSTRUCT_RATIO,
        });
      }
    }
  }
  return targets;
}

function findEntry(name: string): BenchEntry {
  const entry = BENCH_ENTRIES.find((e) => e.name === name);
  if (!entry) fail(`no benchmark entry ${name}`);
  return entry;
}

// ---------------------------------------------------------------------------------------
// Cold `cdk8s synth` of the examples: the repo's cdk8s.yaml (esbuild) vs ts-node.

/** The app command of the `cdk8s init typescript-app` template, pointed at our examples. */
const TS_NODE_APP = 'npx ts-node --prefer-ts-exts examples/app.ts';

interface Command {
  readonly label: string;
  readonly command: string;
  readonly args: string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** Wall and CPU seconds of one command run. */
interface Timing {
  readonly wall: number;
  /** CPU of the whole process tree (user + system), or NaN where /proc is missing. */
  readonly cpu: number;
}

function benchColdSynth(runs: number): TargetResult {
  console.log(`\n## Cold synth of the examples (median of ${runs} runs, each a fresh process tree)\n`);
  const outdirs = { esbuild: mkdtempSync(join(os.tmpdir(), 'synth-')), tsNode: mkdtempSync(join(os.tmpdir(), 'synth-')) };
  const cdk8s = (outdir: string, ...extra: string[]) => ['cdk8s', 'synth', '--check-upgrade', 'false', '--output', outdir, ...extra];
  const pairs: [Command, Command][] = [
    [
      { label: '`npx cdk8s synth --check-upgrade false` (cdk8s.yaml: esbuild)', command: 'npx', args: cdk8s(outdirs.esbuild) },
      {
        label: `\`npx cdk8s synth --check-upgrade false --app '${TS_NODE_APP}'\``,
        command: 'npx',
        args: cdk8s(outdirs.tsNode, '--app', TS_NODE_APP),
      },
    ],
    // The app alone, without the CLI around it: where the difference comes from.
    [
      {
        label: 'app only: `node scripts/run-ts.js examples/app.ts`',
        command: 'node',
        args: ['scripts/run-ts.js', 'examples/app.ts'],
        env: { CDK8S_OUTDIR: outdirs.esbuild },
      },
      {
        label: `app only: \`${TS_NODE_APP}\``,
        command: 'npx',
        args: TS_NODE_APP.split(' ').slice(1),
        env: { CDK8S_OUTDIR: outdirs.tsNode },
      },
    ],
  ];
  // What every `cdk8s synth` pays before it runs the app, whatever the app.
  const cliOnly: Command = { label: 'CLI startup only: `npx cdk8s --version`', command: 'npx', args: ['cdk8s', '--version'] };
  printTimingHeader();
  try {
    const ratios: { wall: number; cpu: number }[] = [];
    for (const [ours, theirs] of pairs) {
      const [oursTimings, theirTimings] = timeAlternating([ours, theirs], runs);
      printTimingRow(ours.label, oursTimings, 2);
      printTimingRow(theirs.label, theirTimings, 2);
      ratios.push({
        wall: medianOf(oursTimings, 'wall') / medianOf(theirTimings, 'wall'),
        cpu: medianOf(oursTimings, 'cpu') / medianOf(theirTimings, 'cpu'),
      });
      if (!sameFiles(outdirs.esbuild, outdirs.tsNode)) fail('the esbuild and ts-node synths wrote different manifests');
    }
    printTimingRow(cliOnly.label, timeAlternating([cliOnly], runs)[0], 2);
    const [synth, appOnly] = ratios;
    console.log(
      `\n- cdk8s synth, esbuild / ts-node: **${synth.wall.toFixed(2)}×** wall, ${synth.cpu.toFixed(2)}× CPU; the app alone: **${appOnly.wall.toFixed(2)}×** wall, ${appOnly.cpu.toFixed(2)}× CPU`,
    );
    return {
      what: `cold cdk8s synth ≤ ${TARGET_SYNTH_RATIO}× the ts-node way (wall; CPU in brackets)`,
      figure: `${synth.wall.toFixed(2)}× (${synth.cpu.toFixed(2)}×)`,
      met: synth.wall <= TARGET_SYNTH_RATIO,
    };
  } finally {
    for (const dir of Object.values(outdirs)) rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the commands `runs` times each, alternating their order. */
function timeAlternating(commands: Command[], runs: number): Timing[][] {
  const timings = commands.map((): Timing[] => []);
  for (let run = 0; run < runs; run++) {
    const order = commands.map((_, i) => i);
    if (run % 2 === 1) order.reverse();
    for (const i of order) timings[i].push(timeCommand(commands[i]));
  }
  return timings;
}

function timeCommand({ command, args, env }: Command): Timing {
  const cpu0 = childrenCpuSeconds();
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  const wall = (performance.now() - started) / 1000;
  if (result.status !== 0) fail(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return { wall, cpu: childrenCpuSeconds() - cpu0 };
}

/**
 * CPU seconds of every finished child process tree of this process (Linux: `cutime` +
 * `cstime` of /proc/self/stat, which include grandchildren that were waited for).
 */
function childrenCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3, `state`
    const ticksPerSecond = 100; // USER_HZ, 100 on every Linux architecture Node supports
    return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
  } catch {
    return NaN;
  }
}

function medianOf(timings: Timing[], key: keyof Timing): number {
  return median(timings.map((t) => t[key]));
}

function printTimingHeader(): void {
  console.log('| command | median wall s | median CPU s | wall s of each run |');
  console.log('| --- | ---: | ---: | --- |');
}

function printTimingRow(label: string, timings: Timing[], digits: number): void {
  const wall = timings.map((t) => t.wall.toFixed(digits)).join(' ');
  console.log(`| ${label} | ${medianOf(timings, 'wall').toFixed(digits)} | ${medianOf(timings, 'cpu').toFixed(digits)} | ${wall} |`);
}

function sameFiles(a: string, b: string): boolean {
  const names = readdirSync(a).sort();
  return (
    names.length > 0 &&
    isDeepStrictEqual(names, readdirSync(b).sort()) &&
    names.every((n) => readFileSync(join(a, n)).equals(readFileSync(join(b, n))))
  );
}

// ---------------------------------------------------------------------------------------
// The jest suite.

function benchJest(runs: number): TargetResult {
  console.log(`\n## Jest suite (median of ${runs} runs)\n`);
  const jest = (...extra: string[]): Command => ({ label: '', command: 'npx', args: ['jest', '--ci', '--silent', ...extra] });
  const cold = timeCommand(jest('--no-cache'));
  // --maxWorkers=1 is what jest picks by itself on 2 cores (cores - 1): every file in one process.
  const [warm, oneWorker] = timeAlternating([jest(), jest('--maxWorkers=1')], runs);
  printTimingHeader();
  printTimingRow('`npx jest --ci` (jest.config.js: one worker per core; transform cache warm, as for `npm test` at a desk)', warm, 1);
  printTimingRow('`npx jest --ci --no-cache` (no transform cache, as on a fresh CI runner; 1 run)', [cold], 1);
  printTimingRow("`npx jest --ci --maxWorkers=1` (jest's own default on 2 cores)", oneWorker, 1);
  const warmWall = medianOf(warm, 'wall');
  return {
    what: `jest suite well under ${TARGET_JEST_SECONDS} s (wall)`,
    figure: `${warmWall.toFixed(1)} s warm, ${cold.wall.toFixed(1)} s without cache`,
    met: Math.max(warmWall, cold.wall) < TARGET_JEST_SECONDS,
  };
}

// ---------------------------------------------------------------------------------------

function printMachine(): void {
  const version = (name: string) =>
    (JSON.parse(readFileSync(require.resolve(`${name}/package.json`, { paths: [ROOT] }), 'utf8')) as { version: string }).version;
  const cpus = os.cpus();
  console.log('## Machine\n');
  console.log(
    `- ${cpus.length} cores (${cpus[0]?.model ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.type()} ${os.release()} ${os.arch()}`,
  );
  console.log(
    `- Node ${process.version}; cdk8s ${version('cdk8s')}, cdk8s-plus-27 ${version('cdk8s-plus-27')}, cdk8s-cli ${version('cdk8s-cli')}, ` +
      `ts-node ${version('ts-node')}, esbuild ${version('esbuild')}, jest ${version('jest')}`,
  );
  console.log(
    `- load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (1, 5, 15 min)`,
  );
  console.log(`- command: \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`${flag}: expected a positive integer, got ${JSON.stringify(text)}\n${USAGE}`);
  return n;
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

main().catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
