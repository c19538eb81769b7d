// Rules about what happens when manifests run, as pure functions over plain manifest
// objects (what `Testing.synth(chart)` returns or a YAML file holds). No cdk8s needed.
import { findPodTemplate } from './pod-security';

/** One problem a manifest will have at run time (or that the API server or kubectl refuses). */
export interface RuntimeProblem {
  /** `Kind/name` of the object (with `namespace/` before the name when it has one). */
  readonly object: string;
  /** JSON pointer to the field, e.g. `/spec/containers/0/volumeMounts/1`. */
  readonly path: string;
  /** The rule's name, one of {@link RUNTIME_RULES}. */
  readonly rule: RuntimeRule;
  /** What is wrong, with the values involved. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

/** The rules of {@link findRuntimeProblems}, by name. */
export const RUNTIME_RULES = [
  'service-selects-nothing',
  'mount-without-volume',
  'duplicate-container-name',
  'duplicate-mount-path',
  'grace-period-shorter-than-prestop-sleep',
  'exec-argument-too-long',
] as const;

/** The name of a runtime rule. */
export type RuntimeRule = (typeof RUNTIME_RULES)[number];

/** Options of {@link findRuntimeProblems}. */
export interface RuntimeRuleOptions {
  /**
   * Rules to leave out, by name.
   * @default [] (every rule runs)
   */
  readonly skip?: readonly RuntimeRule[];
}

/**
 * Linux's limit on one argument or environment string of `execve` (MAX_ARG_STRLEN, 32
 * pages of 4 KiB), terminating NUL included: a longer one fails with E2BIG
 * ("argument list too long") and the container or hook never starts.
 */
export const MAX_ARG_STRLEN = 131072;

/** The grace period the API server sets when `terminationGracePeriodSeconds` is left out. */
const DEFAULT_GRACE_PERIOD_SECONDS = 30;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function objectName(m: Obj): string {
  const meta = obj(m.metadata);
  const ns = str(meta?.namespace);
  return `${str(m.kind) || '?'}/${ns ? `${ns}/` : ''}${str(meta?.name) || '?'}`;
}

interface ContainerRef {
  readonly c: Obj;
  readonly name: string;
  readonly path: string;
}

function containersOf(spec: Obj, specPath: string): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    arr(spec[field]).forEach((c, i) => {
      if (isObj(c)) out.push({ c, name: str(c.name), path: `${specPath}/${field}/${i}` });
    });
  }
  return out;
}

function selectorMatches(selector: Obj, labels: Obj | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/**
 * Finds what will go wrong when the manifests run:
 * - `service-selects-nothing`: a Service whose `spec.selector` matches no Pod or pod template
 *   (any kind with one, custom resources included) in its namespace among the manifests;
 * - `mount-without-volume`: a `volumeMounts`/`volumeDevices` entry naming no volume of the pod;
 * - `duplicate-container-name`: two containers (init, regular, ephemeral) with one name;
 * - `duplicate-mount-path`: two mounts at one path in a container;
 * - `grace-period-shorter-than-prestop-sleep`: `terminationGracePeriodSeconds` (default 30)
 *   shorter than a `preStop` `sleep` action, which the kubelet then cuts short;
 * - `exec-argument-too-long`: a command, argument or environment string of a container,
 *   hook or probe of {@link MAX_ARG_STRLEN} bytes or more.
 */
export function findRuntimeProblems(manifests: readonly unknown[], options: RuntimeRuleOptions = {}): RuntimeProblem[] {
  const skip = new Set<string>(options.skip ?? []);
  const problems: RuntimeProblem[] = [];
  const add = (p: RuntimeProblem) => {
    if (!skip.has(p.rule)) problems.push(p);
  };
  const podLabels: { ns: string; labels: Obj | undefined }[] = [];
  for (const m of manifests) {
    if (!isObj(m)) continue;
    const template = findPodTemplate(m);
    if (!template) continue;
    podLabels.push({ ns: str(obj(m.metadata)?.namespace), labels: obj(template.metadata?.labels) });
    podSpecProblems(objectName(m), template.spec, `${template.path}/spec`, add);
  }
  for (const m of manifests) {
    if (!isObj(m) || m.kind !== 'Service') continue;
    const spec = obj(m.spec);
    const selector = obj(spec?.selector);
    if (!selector || Object.keys(selector).length === 0 || spec?.type === 'ExternalName') continue;
    const ns = str(obj(m.metadata)?.namespace);
    if (podLabels.some((p) => p.ns === ns && selectorMatches(selector, p.labels))) continue;
    add({
      object: objectName(m),
      path: '/spec/selector',
      rule: 'service-selects-nothing',
      message: `selector ${JSON.stringify(selector)} matches no Pod or pod template in namespace ${ns ? `"${ns}"` : 'of the Service'} among these manifests, so the Service has no endpoints`,
      fix: 'make the selector match the labels of the pod template it is for (or remove the selector and manage Endpoints yourself)',
    });
  }
  return problems;
}

function podSpecProblems(object: string, spec: Obj, specPath: string, add: (p: RuntimeProblem) => void): void {
  const containers = containersOf(spec, specPath);
  const volumes = new Set(arr(spec.volumes).map((v) => str(obj(v)?.name)));
  const seen = new Map<string, string>();
  for (const { c, name, path } of containers) {
    const first = seen.get(name);
    if (first !== undefined) {
      add({
        object,
        path: `${path}/name`,
        rule: 'duplicate-container-name',
        message: `container name "${name}" is also used at ${first}; the API server refuses the pod (Duplicate value)`,
        fix: 'give every container, init container and ephemeral container of the pod its own name',
      });
    } else seen.set(name, `${path}/name`);

    const paths = new Map<string, number>();
    arr(c.volumeMounts).forEach((mount, i) => {
      const mnt = obj(mount);
      const volume = str(mnt?.name);
      if (!volumes.has(volume)) {
        add({
          object,
          path: `${path}/volumeMounts/${i}`,
          rule: 'mount-without-volume',
          message: `container "${name}" mounts volume "${volume}" at ${str(mnt?.mountPath)}, but the pod has no volume of that name`,
          fix: `add a volume named "${volume}" to the pod's spec.volumes, or mount one it has`,
        });
      }
      const mountPath = str(mnt?.mountPath);
      const before = paths.get(mountPath);
      if (before !== undefined) {
        add({
          object,
          path: `${path}/volumeMounts/${i}/mountPath`,
          rule: 'duplicate-mount-path',
          message: `container "${name}" mounts two volumes at ${mountPath} (volumeMounts ${before} and ${i}); the API server refuses the pod (must be unique)`,
          fix: 'mount each volume at its own path (use subPath to put files of several volumes side by side)',
        });
      } else paths.set(mountPath, i);
    });
    arr(c.volumeDevices).forEach((device, i) => {
      const volume = str(obj(device)?.name);
      if (volumes.has(volume)) return;
      add({
        object,
        path: `${path}/volumeDevices/${i}`,
        rule: 'mount-without-volume',
        message: `container "${name}" uses volume "${volume}" as a device, but the pod has no volume of that name`,
        fix: `add a volume named "${volume}" to the pod's spec.volumes, or use one it has`,
      });
    });

    const sleep = obj(obj(obj(obj(c.lifecycle)?.preStop)?.sleep))?.seconds;
    const grace =
      typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : DEFAULT_GRACE_PERIOD_SECONDS;
    if (typeof sleep === 'number' && sleep > grace) {
      add({
        object,
        path: `${path}/lifecycle/preStop/sleep/seconds`,
        rule: 'grace-period-shorter-than-prestop-sleep',
        message: `container "${name}" sleeps ${sleep}s in its preStop hook, but the pod's grace period is ${grace}s${
          spec.terminationGracePeriodSeconds === undefined ? ' (the default)' : ''
        }: the kubelet kills the container before the sleep ends`,
        fix: `set spec.terminationGracePeriodSeconds to at least ${sleep} plus the time the container needs to stop, or sleep less`,
      });
    }

    const strings: [string, unknown][] = [];
    arr(c.command).forEach((a, i) => strings.push([`${path}/command/${i}`, a]));
    arr(c.args).forEach((a, i) => strings.push([`${path}/args/${i}`, a]));
    arr(c.env).forEach((e, i) => {
      const env = obj(e);
      if (typeof env?.value === 'string') strings.push([`${path}/env/${i}/value`, `${str(env.name)}=${env.value}`]);
    });
    const handlers: [string, unknown][] = [
      ['lifecycle/postStart', obj(c.lifecycle)?.postStart],
      ['lifecycle/preStop', obj(c.lifecycle)?.preStop],
      ['livenessProbe', c.livenessProbe],
      ['readinessProbe', c.readinessProbe],
      ['startupProbe', c.startupProbe],
    ];
    for (const [where, handler] of handlers) {
      arr(obj(obj(handler)?.exec)?.command).forEach((a, i) => strings.push([`${path}/${where}/exec/command/${i}`, a]));
    }
    for (const [at, value] of strings) {
      if (typeof value !== 'string' || value.length * 3 < MAX_ARG_STRLEN) continue; // at most 3 UTF-8 bytes per UTF-16 unit: short enough
      const bytes = Buffer.byteLength(value, 'utf8');
      if (bytes + 1 <= MAX_ARG_STRLEN) continue;
      const what = at.includes('/env/') ? 'environment string' : 'exec argument';
      add({
        object,
        path: at,
        rule: 'exec-argument-too-long',
        message: `container "${name}": ${what} of ${bytes} bytes; Linux allows at most ${MAX_ARG_STRLEN - 1} per string (MAX_ARG_STRLEN, 128 KiB with the NUL), so execve fails with "argument list too long"`,
        fix: 'put the text in a ConfigMap or Secret mounted as a file, and pass its path instead',
      });
    }
  }
}
