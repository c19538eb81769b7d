// `npm run bench -- --only git-sync`: what one update of the git site costs (issue 21): seconds,
// bytes from the server and disk, for the library's init script (whatever GitCloneScript
// builds today) against the same update run by hand, with a shallow fetch into one
// repository plus `git worktree add`, and with a fresh shallow clone per update (the 0.2 script's
// design). Same repository, same server, same commits for all three. See BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GitCloneScript } from '../lib';
import { makeTestTls, startGitHttpsServer } from '../test/support/git-https';

/** The targets: the library against the hand-run incremental fetch. */
export const TARGET_GIT_TIME_RATIO = 1.1;
export const TARGET_GIT_BYTES_RATIO = 1.1;

const MIB = 2 ** 20;

/** What `--only git-sync` runs. */
export interface GitSyncOptions {
  /** Size of the repository's tree, MiB (incompressible). */
  readonly sizeMib: number;
  /** Files it is split into; each update rewrites one of them. */
  readonly files: number;
  /** Updates after the initial clone. */
  readonly updates: number;
  readonly runs: number;
  /**
   * The variants to run (`--git-variants`).
   * @default - all three
   */
  readonly variants?: readonly string[];
}

/** A target and whether this run met it. */
export interface GitSyncTarget {
  readonly what: string;
  readonly figure: string;
  readonly met: boolean;
}

/**
 * `size` deterministic, incompressible bytes: the AES-256-CTR keystream under a key derived
 * from `seed` (a seeded PRNG that makes 100 MiB in well under a second).
 */
export function seededBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

/** The file an update rewrites: a different one each time, round the files. */
export function changedFile(update: number, files: number): string {
  return fileName((update - 1) % files);
}

function fileName(index: number): string {
  return `file-${String(index).padStart(3, '0')}.bin`;
}

/** The content of file `index` at commit `version` (the initial commit is version 0). */
function fileContent(index: number, version: number, size: number): Buffer {
  return seededBytes(`git-sync bench: ${fileName(index)} version ${version}`, size);
}

/** Median, min and max of some figures. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(xs: readonly number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

/** "1.23 (1.20–1.31)": the median, and the range when the runs differ at this precision. */
export function formatSpread({ median, min, max }: Spread, digits: number): string {
  const range = min.toFixed(digits) === max.toFixed(digits) ? '' : ` (${min.toFixed(digits)}–${max.toFixed(digits)})`;
  return `${median.toFixed(digits)}${range}`;
}

// ---------------------------------------------------------------------------------------
// The repository, its server, and the environment every git command runs in.

interface Fixture {
  readonly dir: string;
  /** The repository's https URL. */
  readonly url: string;
  readonly caBundle: string;
  /** The served repository (bare), where the bench moves `main` from commit to commit. */
  readonly served: string;
  /** Commit 0 (the initial tree), then one per update. */
  readonly commits: readonly string[];
  readonly bytesLog: string;
  /** One repository and one tree: the git directory and the tree of a fresh depth-1 clone of commit 0. */
  readonly reference: Disk;
  /** PATH, an empty HOME, no system config: the developer's git config stays out. */
  readonly env: NodeJS.ProcessEnv;
  readonly stop: () => void;
}

function run(command: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv; input?: Buffer }): string {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', maxBuffer: 1024 * MIB });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/**
 * The served repository, written with one `git fast-import`: commit 0 holds every file,
 * commit u rewrites {@link changedFile}(u). Fixed dates, so the commit ids are the same
 * every run.
 */
function buildRepository(served: string, options: GitSyncOptions, env: NodeJS.ProcessEnv): string[] {
  const fileSize = Math.floor((options.sizeMib * MIB) / options.files);
  const chunks: Buffer[] = [];
  const text = (s: string) => chunks.push(Buffer.from(s));
  for (let version = 0; version <= options.updates; version++) {
    const message = version === 0 ? 'initial tree' : `update ${version}: rewrite ${changedFile(version, options.files)}`;
    text(`commit refs/heads/main\ncommitter Bench <bench@example.invalid> ${1_800_000_000 + version * 60} +0000\n`);
    text(`data ${Buffer.byteLength(message)}\n${message}\n`);
    const indexes = version === 0 ? [...Array(options.files).keys()] : [(version - 1) % options.files];
    for (const index of indexes) {
      text(`M 100644 inline ${fileName(index)}\ndata ${fileSize}\n`);
      chunks.push(fileContent(index, version, fileSize));
      text('\n');
    }
  }
  run('git', ['init', '--quiet', '--bare', '--initial-branch=main', served], { env });
  run('git', ['-C', served, 'fast-import', '--quiet'], { env, input: Buffer.concat(chunks) });
  return run('git', ['-C', served, 'rev-list', '--reverse', 'main'], { env }).trim().split('\n');
}

async function startFixture(options: GitSyncOptions): Promise<Fixture> {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-git-sync-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
  const served = join(dir, 'srv', 'site.git');
  const commits = buildRepository(served, options, env);
  const tls = makeTestTls(mkdtempSync(join(dir, 'tls-')));
  const server = await startGitHttpsServer(dirname(served), tls, { bytesLog: true });
  const url = `${server.base}site.git`;
  run('git', ['-C', served, 'update-ref', 'refs/heads/main', commits[0]], { env });
  const clone = join(dir, 'reference');
  run('git', ['-c', `http.sslCAInfo=${tls.caCert}`, 'clone', '--quiet', '--depth=1', '--single-branch', url, clone], { env });
  const reference = measureDisk(clone, env);
  rmSync(clone, { recursive: true, force: true });
  return {
    dir,
    url,
    caBundle: tls.caCert,
    served,
    commits,
    bytesLog: server.bytesLog!,
    reference,
    env,
    stop: () => {
      server.process.kill();
      rmSync(dirname(server.log), { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Bytes the server has sent, over every connection closed so far, and whether all are closed. */
function serverBytes(log: string): { sent: number; open: number } {
  let sent = 0;
  let open = 0;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const [event, bytes] = line.split(' ');
    if (event === 'open') open++;
    if (event === 'close') {
      open--;
      sent += Number(bytes);
    }
  }
  return { sent, open };
}

/** The server's bytes once git's connections have closed (the server sees the close a moment after git exits). */
function settledServerBytes(log: string): number {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const { sent, open } = serverBytes(log);
    if (open === 0) return sent;
    if (performance.now() > deadline) throw new Error(`the git server still has ${open} connection(s) open 10 s after the update`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

// ---------------------------------------------------------------------------------------
// The three ways to update, each a script run with `sh` in the volume: $1 the update number
// (0: the initial clone), $2 the repository URL, $3 the CA bundle.

interface Variant {
  readonly name: (typeof GIT_SYNC_VARIANTS)[number];
  readonly label: string;
  readonly script: (fixture: Fixture) => string;
  /** A round with nothing new, run in the volume after the last update (same arguments). */
  readonly quietRound?: (fixture: Fixture) => string;
  /** The directory that serves update `n`. */
  readonly tree: (volume: string, n: number) => string;
}

// Every tree is kept one update after it is replaced, as the library keeps it for requests
// still reading it: the one before the previous is removed. Objects are never pruned.
const HAND_INCREMENTAL = `set -eu
n=$1 url=$2 ca=$3
[ -d repo.git ] || git init --quiet --bare repo.git
git -C repo.git -c http.sslCAInfo="$ca" fetch --quiet --depth=1 "$url" +refs/heads/main:refs/remotes/origin/main
git -C repo.git worktree add --quiet --detach "../tree-$n" refs/remotes/origin/main
if [ "$n" -ge 2 ]; then git -C repo.git worktree remove --force "../tree-$((n - 2))"; fi
`;

const HAND_FULL_CLONE = `set -eu
n=$1 url=$2 ca=$3
git -c http.sslCAInfo="$ca" clone --quiet --depth=1 --single-branch "$url" "clone-$n"
if [ "$n" -ge 2 ]; then rm -rf "clone-$((n - 2))"; fi
`;

/** The variants' names, in the order of the table. */
export const GIT_SYNC_VARIANTS = ['library', 'hand-incremental', 'hand-full-clone'] as const;

const VARIANTS: readonly Variant[] = [
  {
    name: 'library',
    label: 'library: `GitCloneScript` initScript (repository, caBundlePath; depth 1)',
    script: (f) => new GitCloneScript({ repository: f.url, caBundlePath: f.caBundle }).initScript.render(),
    quietRound: (f) => new GitCloneScript({ repository: f.url, caBundlePath: f.caBundle }).initScript.render(),
    tree: (volume) => join(volume, 'site'),
  },
  {
    name: 'hand-incremental',
    label: 'by hand: `git fetch --depth=1` into one repository + `git worktree add`',
    script: () => HAND_INCREMENTAL,
    // Its fetch, which finds nothing new (and still sends a fetch request: --depth asks the
    // server for the shallow boundary again).
    quietRound: () =>
      HAND_INCREMENTAL.split('\n')
        .filter((line) => !line.includes('worktree'))
        .join('\n'),
    tree: (volume, n) => join(volume, `tree-${n}`),
  },
  {
    name: 'hand-full-clone',
    label: 'by hand: `git clone --depth=1 --single-branch` per update (the 0.2 design)',
    script: () => HAND_FULL_CLONE,
    tree: (volume, n) => join(volume, `clone-${n}`),
  },
];

/** KiB on disk (`du -sk`) of a volume, and of the git directories in it. */
interface Disk {
  readonly totalKib: number;
  readonly gitKib: number;
}

/** The git directories under `dir` (a directory with HEAD and objects/), not looking inside them. */
function gitDirs(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  const names = new Set(entries.map((e) => e.name));
  if (names.has('HEAD') && names.has('objects')) return [dir];
  return entries.filter((e) => e.isDirectory()).flatMap((e) => gitDirs(join(dir, e.name)));
}

function measureDisk(volume: string, env: NodeJS.ProcessEnv): Disk {
  const kib = (paths: string[]) =>
    paths.length === 0
      ? 0
      : Number(
          run('du', ['-skc', ...paths], { env })
            .trim()
            .split('\n')
            .pop()!
            .split('\t')[0],
        );
  return { totalKib: kib([volume]), gitKib: kib(gitDirs(volume)) };
}

/** One update as measured. */
interface UpdateSample {
  readonly seconds: number;
  readonly bytes: number;
}

interface VariantRun {
  readonly initial: UpdateSample;
  readonly updates: readonly UpdateSample[];
  /** Rounds with nothing new after the last update ({@link QUIET_ROUNDS}), if the variant has them. */
  readonly quiet: readonly UpdateSample[];
  /** After the initial clone, and after the last update. */
  readonly diskInitial: Disk;
  readonly diskFinal: Disk;
}

/** Quiet rounds timed per run of a variant. */
const QUIET_ROUNDS = 5;

function runVariant(fixture: Fixture, variant: Variant, options: GitSyncOptions): VariantRun {
  const volume = mkdtempSync(join(fixture.dir, 'volume-'));
  const script = variant.script(fixture);
  const fileSize = Math.floor((options.sizeMib * MIB) / options.files);
  try {
    const samples: UpdateSample[] = [];
    let diskInitial: Disk | undefined;
    const timed = (body: string, n: number): UpdateSample => {
      const before = settledServerBytes(fixture.bytesLog);
      const started = performance.now();
      run('sh', ['-c', body, 'sh', String(n), fixture.url, fixture.caBundle], { cwd: volume, env: fixture.env });
      const seconds = (performance.now() - started) / 1000;
      return { seconds, bytes: settledServerBytes(fixture.bytesLog) - before };
    };
    for (let n = 0; n <= options.updates; n++) {
      run('git', ['-C', fixture.served, 'update-ref', 'refs/heads/main', fixture.commits[n]], { env: fixture.env });
      samples.push(timed(script, n));
      // Never time a sync that serves the wrong tree: the file this commit rewrote has its new content.
      const index = n === 0 ? 0 : (n - 1) % options.files;
      if (!readFileSync(join(variant.tree(volume, n), fileName(index))).equals(fileContent(index, n, fileSize))) {
        throw new Error(`${variant.name}: update ${n} does not serve commit ${fixture.commits[n]}`);
      }
      if (n === 0) diskInitial = measureDisk(volume, fixture.env);
    }
    const diskFinal = measureDisk(volume, fixture.env);
    const quietRound = variant.quietRound?.(fixture);
    const quiet = quietRound === undefined ? [] : Array.from({ length: QUIET_ROUNDS }, () => timed(quietRound, options.updates));
    return { initial: samples[0], updates: samples.slice(1), quiet, diskInitial: diskInitial!, diskFinal };
  } finally {
    rmSync(volume, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// The section.

type Runs = Partial<Record<Variant['name'], VariantRun[]>>;

/** Per run: the mean of its quiet rounds. */
function quietMeans(runs: readonly VariantRun[], pick: (s: UpdateSample) => number): Spread {
  return spread(runs.map((r) => r.quiet.reduce((sum, s) => sum + pick(s), 0) / r.quiet.length));
}

/** Per run: the mean of its updates. */
function perUpdate(runs: readonly VariantRun[], pick: (s: UpdateSample) => number): Spread {
  return spread(runs.map((r) => r.updates.reduce((sum, s) => sum + pick(s), 0) / r.updates.length));
}

const mib = (bytes: number) => bytes / MIB;
const kibToMib = (kib: number) => kib / 1024;

/** One row of the table: the figures of one variant over its runs. */
function tableRow(label: string, r: readonly VariantRun[]): string {
  const over = (pick: (x: VariantRun) => number, digits: number) => formatSpread(spread(r.map(pick)), digits);
  return [
    label,
    over((x) => x.initial.seconds, 2),
    over((x) => mib(x.initial.bytes), 1),
    formatSpread(
      perUpdate(r, (s) => s.seconds),
      2,
    ),
    formatSpread(
      perUpdate(r, (s) => mib(s.bytes)),
      2,
    ),
    over((x) => kibToMib(x.diskFinal.totalKib), 1),
    over((x) => kibToMib(x.diskFinal.gitKib), 1),
    ...(r[0].quiet.length === 0
      ? ['–', '–']
      : [
          formatSpread(
            quietMeans(r, (s) => s.seconds),
            2,
          ),
          formatSpread(
            quietMeans(r, (s) => s.bytes / 1024),
            1,
          ),
        ]),
  ].join(' | ');
}

function printTable(runs: Runs, options: GitSyncOptions): void {
  console.log(
    `| variant | initial clone s | initial clone MiB | s per update | MiB per update | disk after ${options.updates} updates MiB | of which git dirs MiB | s per quiet round | KiB per quiet round |`,
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const variant of VARIANTS) {
    const r = runs[variant.name];
    if (r) console.log(`| ${tableRow(variant.label, r)} |`);
  }
}

/** The targets: the library against the hand-run incremental fetch (both must have run), and the disk limit. */
function targets(runs: Runs, reference: Disk): GitSyncTarget[] {
  const repoKib = reference.gitKib;
  const treeKib = reference.totalKib - reference.gitKib;
  console.log(
    `\n- one repository (git directory of a fresh depth-1 clone): ${kibToMib(repoKib).toFixed(1)} MiB; one tree: ${kibToMib(treeKib).toFixed(1)} MiB`,
  );
  const { library, 'hand-incremental': hand, 'hand-full-clone': full } = runs;
  if (!library) return [];
  const median = (r: VariantRun[], pick: (s: UpdateSample) => number) => perUpdate(r, pick).median;
  if (full)
    console.log(
      `- full clone per update / library: ${(median(full, (s) => s.seconds) / median(library, (s) => s.seconds)).toFixed(2)}× time`,
    );
  const diskKib = spread(library.map((r) => r.diskFinal.totalKib)).median;
  const limitKib = repoKib + 2 * treeKib;
  const disk: GitSyncTarget = {
    what: 'git sync: disk after the updates ≤ one repository + two trees',
    // In KiB too: the two are within a few MiB of each other.
    figure: `${kibToMib(diskKib).toFixed(1)} MiB, limit ${kibToMib(limitKib).toFixed(1)} MiB (${diskKib} KiB, limit ${limitKib} KiB)`,
    met: diskKib <= limitKib,
  };
  if (!hand) return [disk];
  const timeRatio = median(library, (s) => s.seconds) / median(hand, (s) => s.seconds);
  const bytesRatio = median(library, (s) => s.bytes) / median(hand, (s) => s.bytes);
  console.log(`- library / by-hand incremental: **${timeRatio.toFixed(2)}×** time, **${bytesRatio.toFixed(2)}×** bytes per update`);
  // The library's update starts with what a quiet round does (`git ls-remote`, compare);
  // the hand-run update never asks whether there is anything new.
  const quiet = (r: VariantRun[]) => quietMeans(r, (s) => s.seconds).median;
  const afterCheck = median(library, (s) => s.seconds) - quiet(library);
  console.log(
    `- a quiet round: library ${quiet(library).toFixed(2)} s (\`git ls-remote\`, nothing written), by hand ${quiet(hand).toFixed(2)} s (its \`git fetch --depth=1\`); ` +
      `the library's update without its quiet-round part: ${afterCheck.toFixed(2)} s, ${(afterCheck / median(hand, (s) => s.seconds)).toFixed(2)}× the hand-run update`,
  );
  return [
    {
      what: `git sync: seconds per update ≤ ${TARGET_GIT_TIME_RATIO}× the hand-run \`git fetch --depth=1\` + \`git worktree add\``,
      figure: `${timeRatio.toFixed(2)}×`,
      met: timeRatio <= TARGET_GIT_TIME_RATIO,
    },
    {
      what: `git sync: bytes per update ≤ ${TARGET_GIT_BYTES_RATIO}× the hand-run incremental fetch (server's wire bytes, TLS included)`,
      figure: `${bytesRatio.toFixed(2)}×`,
      met: bytesRatio <= TARGET_GIT_BYTES_RATIO,
    },
    disk,
  ];
}

function progress(variant: Variant, runLabel: string, result: VariantRun, seconds: number): void {
  const perUpdateFigures = `${perUpdate([result], (s) => s.seconds).median.toFixed(2)} s ${perUpdate([result], (s) => mib(s.bytes)).median.toFixed(2)} MiB`;
  console.error(
    `git-sync: run ${runLabel} ${variant.name} (${seconds.toFixed(0)} s): initial ${result.initial.seconds.toFixed(2)} s ` +
      `${mib(result.initial.bytes).toFixed(2)} MiB; per update ${perUpdateFigures}; ` +
      `disk ${kibToMib(result.diskFinal.totalKib).toFixed(0)} MiB (git ${kibToMib(result.diskFinal.gitKib).toFixed(0)} MiB)`,
  );
}

/** Prints the section and returns its targets. */
export async function benchGitSync(options: GitSyncOptions): Promise<GitSyncTarget[]> {
  const names: readonly string[] = options.variants ?? GIT_SYNC_VARIANTS;
  const variants = VARIANTS.filter((v) => names.includes(v.name));
  console.log(
    `\n## Git site updates (${options.runs} runs; ${options.sizeMib} MiB repository in ${options.files} files, ${options.updates} updates of one file each)\n`,
  );
  const built = performance.now();
  const fixture = await startFixture(options);
  try {
    console.log(
      `Repository built in ${((performance.now() - built) / 1000).toFixed(1)} s: commit 0 holds every file, update u rewrites file (u - 1) mod ${options.files} ` +
        `with new random bytes (a different file each time). Served over https (git http-backend, protocol v2) on 127.0.0.1. ` +
        `Per update: wall of the update alone and bytes the server sent (TLS and HTTP included), mean of the updates of a run; ` +
        `median over runs (min–max). Disk: \`du -sk\` of the volume after the last update. ` +
        `Quiet round: ${QUIET_ROUNDS} rounds with nothing new after the last update, per run (the library: its script; by hand: its fetch).\n`,
    );
    const runs: Runs = {};
    for (let run = 0; run < options.runs; run++) {
      for (const variant of run % 2 === 0 ? variants : [...variants].reverse()) {
        const started = performance.now();
        const result = runVariant(fixture, variant, options);
        (runs[variant.name] ??= []).push(result);
        // Each run's figures on stderr as it ends: a run takes minutes on a busy machine.
        progress(variant, `${run + 1}/${options.runs}`, result, (performance.now() - started) / 1000);
      }
    }
    printTable(runs, options);
    const load = os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    console.log(`\n- load average at the end of the section: ${load} (1, 5, 15 min)`);
    return targets(runs, fixture.reference);
  } finally {
    fixture.stop();
  }
}
