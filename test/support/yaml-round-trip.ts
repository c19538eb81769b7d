import { GO_YAML_EXTRA_LINE_BREAKS, goYamlAccepts } from '../../lib/core/manifest-text';
import { spawnSync } from 'node:child_process';
import { Yaml } from 'cdk8s';

// The YAML round trip: manifests written as `cdk8s synth` writes them (cdk8s Yaml.stringify,
// the `yaml` npm package) must decode, with kubectl's own decoder (sigs.k8s.io/yaml over
// go-yaml), to exactly the JSON the library built. Two checks:
// - goYamlReaderProblems, always: a JS re-implementation of go-yaml's reader rules
//   (readerc.go: the characters it accepts) and line breaks (yamlprivateh.go is_break: NEL,
//   LS and PS besides CR and LF), on the text of the file;
// - kubectl, when one is installed: `kubectl annotate --local -o json` decodes the file
//   offline (no cluster, no discovery) with the decoder `kubectl apply` uses; the one
//   annotation it adds is removed before comparing.

/** The kubectl that decodes: `$KUBECTL`, else `kubectl` on the PATH; undefined when none runs. */
export const KUBECTL: string | undefined = (() => {
  const candidate = process.env.KUBECTL ?? 'kubectl';
  const probe = spawnSync(candidate, ['version', '--client'], { stdio: 'ignore', timeout: 20_000 });
  return probe.status === 0 ? candidate : undefined;
})();

/** The manifests as `cdk8s synth` writes them into a file. */
export function synthYaml(manifests: readonly unknown[]): string {
  return Yaml.stringify(...manifests);
}

/**
 * Characters of a YAML file that go-yaml rejects ("control characters are not allowed":
 * outside #x9, #xA, #xD, #x20-#x7E, #x85, #xA0-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF) or
 * reads as a line break the writer did not mean (NEL, LS, PS; a raw CR), with their line.
 */
export function goYamlReaderProblems(yaml: string): string[] {
  const problems: string[] = [];
  let line = 1;
  for (const char of yaml) {
    const c = char.codePointAt(0)!;
    if (c === 0x0a) {
      line++;
      continue;
    }
    const name = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    if (!goYamlAccepts(c)) problems.push(`line ${line}: ${name} is not a character go-yaml accepts`);
    else if (c === 0x0d || GO_YAML_EXTRA_LINE_BREAKS.has(c)) problems.push(`line ${line}: ${name} is a line break to go-yaml`);
  }
  return problems;
}

/** Plain JSON of a value (what a decoder can give back at best). */
function json(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** JSON text with the keys of every object sorted: kubectl prints keys in its own order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const MARK = 'yaml-round-trip.test/mark';

/**
 * The objects kubectl decodes `yaml` to, or its error; undefined without a kubectl.
 */
export function kubectlDecode(yaml: string): { objects?: unknown[]; error?: string } | undefined {
  if (!KUBECTL) return undefined;
  const result = spawnSync(KUBECTL, ['annotate', '--local', '--overwrite', '-f', '-', '-o', 'json', `${MARK}=x`], {
    input: yaml,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.status !== 0) return { error: (result.stderr || String(result.error)).trim() };
  // One pretty-printed JSON object per document, one after another.
  const texts = result.stdout.trim() === '' ? [] : result.stdout.trim().split(/^}\n(?=\{)/m);
  const objects = texts.map((text, i) => JSON.parse(i < texts.length - 1 ? `${text}}` : text) as Record<string, never>);
  return { objects: objects.map(unmark) };
}

// Removes the annotation kubectl added (and the map, when it held nothing else).
function unmark(object: { metadata?: { annotations?: Record<string, string> } }): unknown {
  const annotations = object.metadata?.annotations;
  if (annotations) {
    delete annotations[MARK];
    if (Object.keys(annotations).length === 0) delete object.metadata!.annotations;
  }
  return object;
}

/** What a round trip found wrong; empty when kubectl read back exactly the manifests. */
export function roundTripProblems(manifests: readonly unknown[]): string[] {
  const yaml = synthYaml(manifests);
  const problems = goYamlReaderProblems(yaml);
  const decoded = kubectlDecode(yaml);
  if (decoded?.error !== undefined) problems.push(`kubectl cannot read the YAML: ${decoded.error}`);
  else if (decoded?.objects) {
    const expected = restoreEmptyAnnotations(manifests.map(json));
    if (canonical(decoded.objects) !== canonical(expected)) {
      if (decoded.objects.length !== expected.length)
        problems.push(`kubectl reads ${decoded.objects.length} objects, not ${expected.length}`);
      expected.forEach((object, i) => {
        if (canonical(object) !== canonical(decoded.objects![i])) {
          problems.push(`kubectl reads object ${i} differently: ${firstDifference(object, decoded.objects![i])}`);
        }
      });
    }
  }
  return problems;
}

// An object that had `annotations: {}` loses it to unmark: compare without it.
function restoreEmptyAnnotations(expected: unknown[]): unknown[] {
  return expected.map((object) => {
    const meta = (object as { metadata?: { annotations?: object } }).metadata;
    if (meta?.annotations && Object.keys(meta.annotations).length === 0) delete meta.annotations;
    return object;
  });
}

function firstDifference(a: unknown, b: unknown, path = ''): string {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return `at ${path || '/'}: built ${JSON.stringify(a)?.slice(0, 300)}, read ${JSON.stringify(b)?.slice(0, 300)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const [x, y] = [(a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]];
    if (canonical(x) !== canonical(y)) return firstDifference(x, y, `${path}/${key}`);
  }
  return `at ${path || '/'}: nothing`;
}

// Manifests that tests synthesized, decoded together by one kubectl per test file.
const queued: { test: string; manifests: readonly unknown[] }[] = [];
// Registered when a test file loads this module (jest takes hooks only outside tests).
afterAll(() => {
  const batch = queued.splice(0);
  if (batch.length === 0) return;
  // One run for the whole file; only when it finds a problem, one run per test to name it.
  if (roundTripProblems(batch.flatMap((entry) => entry.manifests)).length === 0) return;
  const failures = batch.flatMap(({ test, manifests }) => roundTripProblems(manifests).map((problem) => `${test}: ${problem}`));
  expect(failures).toEqual([]);
});

/**
 * Checks that `manifests`, written as `cdk8s synth` writes them, are read back by go-yaml's
 * rules at once, and queues them for kubectl: all manifests of a test file are decoded by
 * one kubectl run after its last test (a failure names the tests whose manifests differ).
 */
export function expectYamlRoundTrip(manifests: readonly unknown[]): void {
  expect(goYamlReaderProblems(synthYaml(manifests))).toEqual([]);
  if (!KUBECTL) return;
  queued.push({ test: expect.getState().currentTestName ?? '(outside a test)', manifests: manifests.map(json) });
}
