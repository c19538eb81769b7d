import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, Duration, Testing } from 'cdk8s';
import { GitClonedSiteInit, HttpdWithPostStart, PreStopAuditCollector, PreStopAuditedPod } from '../lib';
import { auditDir, list, podIdentity, recordedCalls, recordingCleanup } from './support/audit';
import { EDGE_CODE_POINTS, HOSTILE_STRINGS } from './support/hostile';
import { Manifest, synthValid } from './support/manifests';
import { runAll, SHELLS, tempDir } from './support/run';
import { goYamlReaderProblems, KUBECTL, kubectlDecode, roundTripProblems, synthYaml } from './support/yaml-round-trip';

// Every manifest must decode, with kubectl's rules, to exactly what the library built, and
// the scripts kubectl reads back must write user text byte for byte.
if (!KUBECTL) {
  console.warn(
    "yaml-round-trip.test: no kubectl on this machine (set KUBECTL): only the JS re-implementation of go-yaml's rules checks the YAML",
  );
}
const withKubectl = KUBECTL ? test : test.skip;

/** The characters at the edges: C0, DEL and C1, separators, noncharacters, the ends of every plane. */
const EDGE = EDGE_CODE_POINTS.map((c) => String.fromCodePoint(c));
/** The characters the YAML of cdk8s synth cannot carry raw (the library's set). */
const UNSAFE = /[\u007f-\u009f\u2028\u2029\ufffe\uffff]/u;

/** Hostile strings, the edge characters alone and between letters, every plane. */
const TEXTS: readonly string[] = [
  ...HOSTILE_STRINGS,
  ...EDGE.map((c) => `a${c}b`),
  EDGE.join(''),
  'NEL\u0085 LS\u2028 PS\u2029 DEL\u007f CSI\u009b nonchar\uffff',
  "'\u0085'\u2028%s\\n",
  '\u0085',
  '\u2028\n\u2029',
];

withKubectl('kubectl reads back every edge character the writer emits, except exactly the ones the library escapes', () => {
  // The measurement behind YAML_UNSAFE_CHARACTERS: each character in a short, a multi-line
  // and a script-like value of a ConfigMap, written by cdk8s's writer, decoded by kubectl.
  // The characters the library keeps raw go through kubectl in one file; each one it
  // escapes in a file of its own, to show that kubectl rejects or changes that one.
  const configMap = (c: string, i = 0) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `c${i}` },
    data: { short: `a${c}b`, alone: c, lines: `line one\nA${c}B\nline three\n`, script: `set -eu\nx${c}\n` },
  });
  expect(roundTripProblems(EDGE.filter((c) => !UNSAFE.test(c)).map(configMap))).toEqual([]);
  for (const c of EDGE.filter((c) => UNSAFE.test(c))) {
    expect({ c: c.codePointAt(0), changed: roundTripProblems([configMap(c)]).length > 0 }).toEqual({ c: c.codePointAt(0), changed: true });
  }
});

test("the JS re-implementation of go-yaml's rules flags what the writer emits raw", () => {
  for (const c of EDGE) {
    const yaml = synthYaml([{ v: `a${c}b` }]);
    expect({ c: c.codePointAt(0), flagged: goYamlReaderProblems(yaml).length > 0 }).toEqual({
      c: c.codePointAt(0),
      flagged: UNSAFE.test(c),
    });
  }
});

/** What kubectl reads back of the manifests (the manifests themselves when no kubectl runs). */
function decoded(manifests: Manifest[]): Manifest[] {
  expect(roundTripProblems(manifests)).toEqual([]);
  const read = kubectlDecode(synthYaml(manifests));
  return (read?.objects as Manifest[] | undefined) ?? manifests;
}

describe('every construct, with hostile and non-ASCII text in every prop that reaches a script', () => {
  const htdocs = tempDir('htdocs-');
  const flags = auditDir();
  const record = join(tempDir(), 'record');
  const lines = TEXTS.filter((t) => !t.includes('\n'));
  // The recording cleanup separates its fields with U+001E and U+001F.
  const words = TEXTS.filter((t) => !t.includes('\u001e') && !t.includes('\u001f'));
  const app = Testing.app();
  const chart = new Chart(app, 'hostile');
  new HttpdWithPostStart(chart, 'page', { htdocsPath: htdocs, fileName: 'pägé\u2028.html', content: TEXTS.join('|'), podName: 'page' });
  new HttpdWithPostStart(chart, 'lines', {
    htdocsPath: htdocs,
    fileName: 'lines.html',
    content: TEXTS,
    prependDate: false,
    podName: 'lines',
  });
  new PreStopAuditedPod(chart, 'audited', {
    flagDirectory: flags.hookDirectory, // writes into incoming/, as the pod's mount would
    flagLines: lines,
    postStartContent: TEXTS,
    podName: 'audited',
  });
  new PreStopAuditCollector(chart, 'collector', { flagDirectory: flags.flagDirectory, cleanupCommand: recordingCleanup(record, ...words) });
  new GitClonedSiteInit(chart, 'git', {
    repository: 'https://example.com/site.git',
    ref: 'feature/ä\u0085x',
    subPath: 'sub dir/\u2028\u009b',
    syncInterval: Duration.minutes(1),
  });
  const manifests = synthValid(chart);

  test('the YAML holds only characters go-yaml reads as they are, and kubectl reads back exactly the JSON built', () => {
    expect(goYamlReaderProblems(synthYaml(manifests))).toEqual([]);
    expect(roundTripProblems(manifests)).toEqual([]);
  });

  test.each(SHELLS)('the postStart hooks kubectl reads back write every byte (%s)', (shell) => {
    const pods = decoded(manifests).filter((m) => m.kind === 'Pod');
    const hook = (name: string) => pods.find((p) => p.metadata.name === name).spec.containers[0].lifecycle.postStart.exec.command;
    const results = runAll([
      { command: hook('page'), shell },
      { command: hook('lines'), shell },
    ]);
    expect(results.map((r) => [r.status, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    const page = readFileSync(join(htdocs, 'pägé\u2028.html'), 'utf8');
    expect(page.slice(page.indexOf('\n') + 1)).toBe(TEXTS.join('|'));
    expect(readFileSync(join(htdocs, 'lines.html'), 'utf8')).toBe(TEXTS.map((t) => `${t}\n`).join(''));
    expect(readdirSync(htdocs).sort()).toEqual(['lines.html', 'pägé\u2028.html']);
  });

  test('the preStop hook and the collector kubectl reads back pass the flag lines and the cleanup words byte for byte', () => {
    const objects = decoded(manifests);
    const pod = objects.find((m) => m.kind === 'Pod' && m.metadata.name === 'audited');
    const collector = objects.find((m) => m.kind === 'DaemonSet');
    const [hook] = runAll([{ command: pod.spec.containers[0].lifecycle.preStop.exec.command, shell: 'sh', env: { ...podIdentity(1) } }]);
    expect([hook.status, hook.stderr]).toEqual([0, '']);
    const [file] = list(flags.dir).filter((f) => f.endsWith('.txt'));
    expect(readFileSync(join(flags.dir, file), 'utf8').endsWith(lines.map((l) => `${l}\n`).join(''))).toBe(true);
    const [run] = runAll([{ command: collector.spec.template.spec.containers[0].command, shell: 'sh', env: { COLLECTOR_PASSES: '1' } }]);
    expect(run.status).toBe(0);
    expect(recordedCalls(record).map((call) => call.args)).toEqual([words]);
  });

  test('the git scripts kubectl reads back are the scripts built', () => {
    const deployment = decoded(manifests).find((m) => m.kind === 'Deployment');
    const built = manifests.find((m) => m.kind === 'Deployment');
    expect(deployment.spec.template.spec.initContainers[0].command).toEqual(built.spec.template.spec.initContainers[0].command);
    expect(built.spec.template.spec.initContainers[0].command[2]).toContain(`'refs/heads/feature/ä'"$(printf '\\302\\205')"'x'`);
  });
});

withKubectl('exec words that kubectl reads as they are pass, and survive the round trip', () => {
  const chart = Testing.chart();
  const words = [
    'y',
    'no',
    '~',
    'null',
    '0777',
    '1_000',
    '1:20',
    '.inf',
    '0b101',
    '2001-12-14',
    '\ttab',
    'a\n\tb',
    ' lead',
    'é\u00a0\ufeff🚀\u{10fffd}',
  ];
  new HttpdWithPostStart(chart, 'web', { args: words });
  expect(roundTripProblems(synthValid(chart))).toEqual([]);
});
