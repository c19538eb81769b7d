// The rules engine: every rule of the table over all the objects of one app, as plain JSON
// (what the API server receives). The synth checks, `/testing` and the plugin call it.
import { MAX_OBJECT_BYTES, utf8Length } from '../core/limits';
import { loneSurrogateIndex } from '../core/unicode';
import { findPodTemplate } from '../core/pod-spec';
import { arr, Obj, obj, str } from './json';
import { podSpecFindings } from './pod-rules';
import { describeObject, Finding, finding, ObjectRef, RuleId } from './rules';

/** The most a ConfigMap's or Secret's data may hold, in bytes (the API server's `MaxSecretSize`, 1 MiB). */
export const MAX_CONFIG_DATA_BYTES = 1048576;

/** Options of {@link checkObjects}. */
export interface CheckOptions {
  /**
   * The rules to run.
   * @default - every rule of RULES
   */
  readonly only?: readonly RuleId[];
}

/** How a finding names `manifest`. */
export function objectRefOf(manifest: unknown): ObjectRef {
  const m = obj(manifest);
  const meta = obj(m?.metadata);
  const namespace = str(meta?.namespace);
  return { kind: str(m?.kind) || '?', name: str(meta?.name) || '?', ...(namespace ? { namespace } : {}) };
}

/**
 * Every way the objects (all the objects of one app, as plain JSON) break a rule of the
 * table, in the order of the objects. Pure: reads nothing but `objects`.
 */
export function checkObjects(objects: readonly unknown[], options: CheckOptions = {}): Finding[] {
  const only = options.only && new Set<RuleId>(options.only);
  const findings: Finding[] = [];
  const add = (f: Finding) => {
    if (!only || only.has(f.rule)) findings.push(f);
  };
  const refs = objects.map(objectRefOf);
  objects.forEach((o, index) => {
    const manifest = obj(o);
    if (!manifest) return;
    podSpecFindings(manifest, refs[index], index, add);
    objectFindings(manifest, refs[index], index, add);
  });
  serviceFindings(objects, refs, add);
  duplicateFindings(objects, refs, add);
  return findings.sort((a, b) => a.index - b.index);
}

function objectFindings(manifest: Obj, ref: ObjectRef, index: number, add: (f: Finding) => void): void {
  const json = JSON.stringify(manifest);
  // JSON.stringify writes a lone surrogate as a \udXXX escape; a pair stays raw.
  if (/\\ud[89a-f]/.test(json)) {
    for (const field of loneSurrogates(manifest, '')) {
      add(
        finding(
          'lone-surrogate',
          ref,
          index,
          field,
          'a string holds a lone UTF-16 surrogate, which no YAML or JSON file can carry to the API server (UTF-8 has no form for it)',
          'remove it, or encode the text (base64 in a Secret or ConfigMap binaryData)',
        ),
      );
    }
  }
  const bytes = json.length > MAX_OBJECT_BYTES / 3 ? utf8Length(json) : json.length;
  if (bytes > MAX_OBJECT_BYTES) {
    add(
      finding(
        'object-too-large',
        ref,
        index,
        '',
        `its JSON has ${bytes} bytes, more than the ${MAX_OBJECT_BYTES} (1.5 MiB) etcd stores per object, so the API server refuses it`,
        'move large text into ConfigMaps of its own, each under 1 MiB',
      ),
    );
  }
  const data = configDataBytes(manifest);
  if (data !== undefined && data > MAX_CONFIG_DATA_BYTES) {
    add(
      finding(
        'config-data-too-large',
        ref,
        index,
        '/data',
        `its data holds ${data} bytes, more than the ${MAX_CONFIG_DATA_BYTES} (1 MiB) the API server takes for a ${ref.kind}, so it refuses it`,
        `split the data over several ${ref.kind}s of at most 1 MiB each (or serve large files from a volume)`,
      ),
    );
  }
}

/** The bytes of a ConfigMap's data and binaryData, or a Secret's data and stringData, as the API server counts them. */
function configDataBytes(manifest: Obj): number | undefined {
  if (manifest.apiVersion !== 'v1' || (manifest.kind !== 'ConfigMap' && manifest.kind !== 'Secret')) return undefined;
  const sizes = new Map<string, number>();
  const data = Object.entries(obj(manifest.data) ?? {});
  const count = (entries: [string, unknown][], size: (value: string) => number) => {
    for (const [key, value] of entries) sizes.set(key, size(str(value)));
  };
  if (manifest.kind === 'ConfigMap') {
    count(data, utf8Length);
    for (const [key, value] of Object.entries(obj(manifest.binaryData) ?? {}))
      sizes.set(`binary:${key}`, Buffer.byteLength(str(value), 'base64'));
  } else {
    count(data, (value) => Buffer.byteLength(value, 'base64'));
    // stringData is merged into data (replacing the same keys) before the API server counts.
    count(Object.entries(obj(manifest.stringData) ?? {}), utf8Length);
  }
  let total = 0;
  for (const size of sizes.values()) total += size;
  return total;
}

function loneSurrogates(value: unknown, path: string): string[] {
  if (typeof value === 'string') return loneSurrogateIndex(value) >= 0 ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => loneSurrogates(v, `${path}/${i}`));
  const o = obj(value);
  if (!o) return [];
  return Object.entries(o).flatMap(([k, v]) => {
    const here = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return [...(loneSurrogateIndex(k) >= 0 ? [here] : []), ...loneSurrogates(v, here)];
  });
}

// Services against the pods and pod templates of their namespace, through an index of
// `namespace, key, value` so that an app of thousands of pods costs one lookup per Service.
function serviceFindings(objects: readonly unknown[], refs: readonly ObjectRef[], add: (f: Finding) => void): void {
  const pods = new Map<string, Obj[]>();
  objects.forEach((o, index) => {
    const labels = obj(findPodTemplate(o)?.metadata?.labels);
    if (!labels) return;
    for (const [key, value] of Object.entries(labels)) {
      const k = JSON.stringify([refs[index].namespace ?? '', key, value]);
      const list = pods.get(k);
      if (list) list.push(labels);
      else pods.set(k, [labels]);
    }
  });
  objects.forEach((o, index) => {
    const m = obj(o);
    if (m?.kind !== 'Service' || m.apiVersion !== 'v1') return;
    const spec = obj(m.spec);
    const selector = obj(spec?.selector);
    if (!selector || spec?.type === 'ExternalName') return;
    const entries = Object.entries(selector);
    if (entries.length === 0) return;
    const ns = refs[index].namespace;
    const candidates = entries
      .map(([key, value]) => pods.get(JSON.stringify([ns ?? '', key, value])) ?? [])
      .reduce((fewest, list) => (list.length < fewest.length ? list : fewest));
    if (candidates.some((labels) => entries.every(([key, value]) => Object.hasOwn(labels, key) && labels[key] === value))) return;
    add(
      finding(
        'service-selects-nothing',
        refs[index],
        index,
        '/spec/selector',
        `selector ${JSON.stringify(selector)} matches no Pod or pod template ${ns === undefined ? 'without a namespace' : `in namespace ${ns}`} in the app, so the Service has no endpoints`,
        'make the selector match the labels of the pod template it is for (or remove the selector and manage the endpoints yourself)',
      ),
    );
  });
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : 'core';
}

// App-wide: another object with the same identity, another Service on the same node port.
// Each object after the first is reported.
function duplicateFindings(objects: readonly unknown[], refs: readonly ObjectRef[], add: (f: Finding) => void): void {
  const identities = new Map<string, number>();
  const nodePorts = new Map<number, number>();
  objects.forEach((o, index) => {
    const m = obj(o);
    if (!m) return;
    const ref = refs[index];
    const group = groupOf(str(m.apiVersion));
    const key = JSON.stringify([group, ref.kind, ref.namespace ?? null, ref.name]);
    const first = identities.get(key);
    if (first === undefined) identities.set(key, index);
    else {
      const where = ref.namespace === undefined ? 'without a namespace' : `in namespace ${ref.namespace}`;
      add(
        finding(
          'duplicate-object',
          ref,
          index,
          '/metadata/name',
          `${describeObject(refs[first])} earlier in the app has the same API group '${group}', kind and name ${where}, so one would replace the other when applied`,
          'give one of them another name or namespace',
        ),
      );
    }
    if (m.kind !== 'Service' || m.apiVersion !== 'v1') return;
    const ports = new Set(arr(obj(m.spec)?.ports).map((p) => obj(p)?.nodePort));
    for (const port of ports) {
      if (typeof port !== 'number') continue;
      const taken = nodePorts.get(port);
      if (taken === undefined) {
        nodePorts.set(port, index);
        continue;
      }
      add(
        finding(
          'duplicate-node-port',
          ref,
          index,
          '/spec/ports',
          `node port ${port} is also taken by ${refs[taken].kind} '${refs[taken].name}'; node ports are cluster-wide, so the API server refuses the second Service`,
          'give each Service its own node port, or leave nodePort out and let the API server pick one',
        ),
      );
    }
  });
}
