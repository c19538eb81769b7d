// `npm run load:rollout -- [--runs N] [--scenarios a,b] [--commits N]`: requests sent and
// failed, p50/p99 latency, while 3-replica workloads go through `kubectl rollout restart`
// (httpd-*, site-*) or the site syncs new commits (sync-*), for the library's defaults and
// the seed-style baseline (no probe, no drain delay). Needs the cluster KUBECONFIG points at;
// every step is bounded and the run deletes its namespaces. Figures: BENCHMARKS.md, "0.3".
import { HostRepo } from '../../test/e2e/support/git-server';
import { createNamespace, deleteNamespaces, kubectl, objectsYaml, randomSuffix, removePath, sleep } from '../../test/e2e/support/kube';
import { EndpointFollower, TrafficResult, startGenerator, stopGenerator } from './traffic';
import { deploy, gitSiteObjects, httpdDefaults, httpdSeed, startGitServer } from './workloads';

export const SCENARIOS = ['httpd-defaults', 'httpd-seed', 'site-defaults', 'site-bare', 'sync-defaults', 'sync-bare'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface RunReport extends TrafficResult {
  readonly scenario: Scenario;
  readonly run: number;
  readonly seconds: number;
  readonly endpointUpdates: number;
  /** sync-*: the ready pods serving the last commit's page at the end of the run, e.g. `3/3`. */
  readonly servingLast?: string;
}

const SYNC_SECONDS = 3;
const page = (n: number) => `<h1>load v${n}</h1>\n`;

/** One scenario: deploys it once, then `runs` measured disruptions, each with a fresh generator. */
export async function runScenario(scenario: Scenario, runs: number, commits = 3, log = console.log): Promise<RunReport[]> {
  // The git server's hostPath needs a privileged namespace; the seed's root httpd, baseline.
  const ns = await createNamespace(`load-${scenario}`, scenario.startsWith('httpd-') ? 'baseline' : 'privileged');
  const hostDir = `/tmp/load-git-${randomSuffix()}`;
  const reports: RunReport[] = [];
  try {
    let repo: HostRepo | undefined;
    let version = 1;
    if (scenario.startsWith('httpd-')) {
      await deploy(ns, objectsYaml(scenario === 'httpd-defaults' ? httpdDefaults(ns) : httpdSeed(ns)), 'web');
    } else {
      repo = new HostRepo(hostDir);
      repo.commit('main', { 'index.html': page(version) }, 'v1');
      const { url, ca } = await startGitServer(ns, repo, hostDir);
      await deploy(ns, gitSiteObjects(ns, url, ca, SYNC_SECONDS, scenario.endsWith('-bare')), 'site');
    }
    const deployment = scenario.startsWith('httpd-') ? 'web' : 'site';
    for (let run = 1; run <= runs; run++) {
      const gen = `load-${run}`;
      await startGenerator(ns, gen, 300);
      const follower = new EndpointFollower(ns, deployment, gen);
      const started = Date.now();
      await sleep(3000);
      if (scenario.startsWith('sync-')) {
        for (let c = 0; c < commits; c++) {
          repo!.commit('main', { 'index.html': page(++version) }, `v${version}`);
          await sleep((SYNC_SECONDS + 3) * 1000);
        }
      } else {
        await kubectl(['rollout', 'restart', '-n', ns, `deployment/${deployment}`]);
        await kubectl(['rollout', 'status', '-n', ns, `deployment/${deployment}`, '--timeout=240s'], { timeoutMs: 260_000 });
        // The old pods drain and stop after the rollout reports done: keep sending until they are gone.
        await waitOldPodsGone(ns);
      }
      await sleep(3000);
      await follower.stop();
      // The sync runs count only if the pods moved on: ask each ready pod from the generator.
      const servingLast = scenario.startsWith('sync-') ? await servingPage(ns, gen, page(version)) : undefined;
      const result = await stopGenerator(ns, gen);
      const report = { scenario, run, seconds: (Date.now() - started) / 1000, endpointUpdates: follower.updates, servingLast, ...result };
      log(JSON.stringify(report));
      reports.push(report);
      await kubectl(['delete', 'pod', '-n', ns, gen, '--wait=false'], { allowFail: true });
    }
  } finally {
    await deleteNamespaces([ns], 60_000);
    removePath(hostDir);
  }
  return reports;
}

/** How many of the ready addresses in the generator's /tmp/ips serve `expected` at `/`: `served/ready`. */
async function servingPage(ns: string, generator: string, expected: string): Promise<string> {
  const script =
    'printf %s "$1" >/tmp/expected; for ip in $(cat /tmp/ips); do wget -q -T 3 -O /tmp/got "http://$ip/" && cmp -s /tmp/got /tmp/expected && echo same || echo other; done';
  const r = await kubectl(['exec', '-n', ns, generator, '--', 'sh', '-c', script, 'check', expected], {
    allowFail: true,
    timeoutMs: 30_000,
  });
  const answers = r.stdout.split('\n').filter(Boolean);
  return `${answers.filter((a) => a === 'same').length}/${answers.length}`;
}

async function waitOldPodsGone(ns: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const r = await kubectl(['get', 'pods', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.deletionTimestamp}{"\\n"}{end}'], {
      allowFail: true,
    });
    if (!r.stdout.split('\n').some(Boolean)) return;
    await sleep(500);
  }
}

/** The table rows of BENCHMARKS.md for a set of reports. */
export function table(reports: readonly RunReport[]): string {
  const rows = reports.map(
    (r) =>
      `| ${r.scenario} | ${r.run} | ${r.sent} | ${r.failed} | ${r.p50} | ${r.p99} | ${r.seconds.toFixed(0)} | ${r.endpointUpdates} | ${r.servingLast ?? ''} |`,
  );
  return [
    '| scenario | run | sent | failed | p50 ms | p99 ms | s | endpoint updates | serving the last commit |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const runs = Math.min(10, Number(flag('runs') ?? 3));
  const commits = Math.min(10, Number(flag('commits') ?? 3));
  const chosen = (flag('scenarios') ?? SCENARIOS.join(',')).split(',') as Scenario[];
  for (const s of chosen) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}: one of ${SCENARIOS.join(', ')}`);
  const all: RunReport[] = [];
  for (const s of chosen) all.push(...(await runScenario(s, runs, commits)));
  console.log(table(all));
  for (const r of all) for (const f of r.failures) console.log(`${r.scenario} run ${r.run}: ${f}`);
}

// Run by `node scripts/run-ts.js scripts/load/rollout.ts` (not when a test imports it).
if (process.argv[1]?.endsWith('rollout.js')) {
  // A hard bound on the whole run, whatever hangs.
  const limit = setTimeout(() => {
    console.error('load:rollout: time limit (40 min) reached');
    process.exit(1);
  }, 40 * 60_000);
  limit.unref();
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
