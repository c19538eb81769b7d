// The rules on one pod spec: containers, mounts, hooks, exec words, environment, resources.
import { DEFAULT_GRACE_PERIOD_SECONDS, findPodTemplate } from '../core/pod-spec';
import { MAX_ARG_STRLEN, utf8Length } from '../core/limits';
import { quantityValue } from '../core/quantity';
import { arr, Obj, obj, str } from './json';
import { Finding, finding, ObjectRef } from './rules';

interface Container {
  readonly c: Obj;
  readonly name: string;
  readonly path: string;
}

type Add = (f: Finding) => void;

/** The findings of the pod spec of `manifest` (none without one). */
export function podSpecFindings(manifest: Obj, ref: ObjectRef, index: number, add: Add): void {
  const template = findPodTemplate(manifest);
  if (!template) return;
  const specPath = `${template.path}/spec`;
  const spec = template.spec;
  const containers: Container[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    arr(spec[list]).forEach((c, i) => {
      const o = obj(c);
      if (o) containers.push({ c: o, name: str(o.name), path: `${specPath}/${list}/${i}` });
    });
  }
  const volumes = new Set(arr(spec.volumes).map((v) => str(obj(v)?.name)));
  const grace = typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : DEFAULT_GRACE_PERIOD_SECONDS;
  const names = new Map<string, string>();
  for (const container of containers) {
    const first = names.get(container.name);
    if (first !== undefined) {
      add(
        finding(
          'duplicate-container-name',
          ref,
          index,
          `${container.path}/name`,
          `container name '${container.name}' is taken by ${first}, and the API server refuses two containers of one name in a pod (init containers included)`,
          'give every container, init container and ephemeral container of the pod its own name',
        ),
      );
    } else names.set(container.name, `${container.path}/name`);
    mountFindings(container, volumes, ref, index, add);
    sleepFindings(container, grace, spec.terminationGracePeriodSeconds === undefined, ref, index, add);
    stringFindings(container, ref, index, add);
    resourceFindings(container, ref, index, add);
  }
}

function mountFindings({ c, name, path }: Container, volumes: ReadonlySet<string>, ref: ObjectRef, index: number, add: Add): void {
  const paths = new Set<string>();
  for (const field of ['volumeMounts', 'volumeDevices']) {
    arr(c[field]).forEach((m, i) => {
      const mount = obj(m);
      const volume = str(mount?.name);
      const at = str(mount?.mountPath ?? mount?.devicePath);
      if (!volumes.has(volume)) {
        add(
          finding(
            'mount-without-volume',
            ref,
            index,
            `${path}/${field}/${i}`,
            `container '${name}' uses volume '${volume}' at ${at}, but the pod has no volume of that name`,
            `add a volume named '${volume}' to the pod's spec.volumes, or use one it has`,
          ),
        );
      }
      if (field !== 'volumeMounts') return;
      if (paths.has(at)) {
        add(
          finding(
            'duplicate-mount-path',
            ref,
            index,
            `${path}/volumeMounts/${i}/mountPath`,
            `container '${name}' mounts two volumes at ${at}, and the API server refuses two mounts at one path`,
            'mount each volume at its own path (use subPath to put files of several volumes side by side)',
          ),
        );
      }
      paths.add(at);
    });
  }
}

function sleepFindings({ c, name, path }: Container, grace: number, isDefault: boolean, ref: ObjectRef, index: number, add: Add): void {
  for (const hook of ['postStart', 'preStop']) {
    const seconds = obj(obj(obj(c.lifecycle)?.[hook])?.sleep)?.seconds;
    if (typeof seconds !== 'number' || seconds <= grace) continue;
    add(
      finding(
        'sleep-exceeds-grace-period',
        ref,
        index,
        `${path}/lifecycle/${hook}/sleep/seconds`,
        `the ${hook} sleep action of container '${name}' sleeps ${seconds}s, longer than terminationGracePeriodSeconds ${grace}${isDefault ? ' (the default)' : ''}: the API server rejects the pod (sleep.seconds must not exceed the grace period)`,
        `set spec.terminationGracePeriodSeconds to at least ${seconds}, or sleep less`,
      ),
    );
  }
}

const EXEC_PLACES = ['lifecycle/postStart', 'lifecycle/preStop', 'livenessProbe', 'readinessProbe', 'startupProbe'];

function stringFindings({ c, name, path }: Container, ref: ObjectRef, index: number, add: Add): void {
  const words: [string, unknown][] = [];
  arr(c.command).forEach((a, i) => words.push([`${path}/command/${i}`, a]));
  arr(c.args).forEach((a, i) => words.push([`${path}/args/${i}`, a]));
  for (const place of EXEC_PLACES) {
    const handler = place.split('/').reduce((at: Obj | undefined, key) => obj(at?.[key]), c);
    arr(obj(handler?.exec)?.command).forEach((a, i) => words.push([`${path}/${place}/exec/command/${i}`, a]));
  }
  for (const [at, word] of words) {
    const bytes = tooLong(word);
    if (bytes === undefined) continue;
    add(
      finding(
        'exec-argument-too-long',
        ref,
        index,
        at,
        `container '${name}' has an exec argument of ${bytes} bytes, and Linux takes at most ${MAX_ARG_STRLEN - 1} (MAX_ARG_STRLEN ${MAX_ARG_STRLEN} with its NUL): it fails with E2BIG every time it runs`,
        'move the text into a file (a ConfigMap mounted as a volume) and run or copy that',
      ),
    );
  }
  arr(c.env).forEach((e, i) => {
    const env = obj(e);
    if (typeof env?.value !== 'string') return;
    const bytes = tooLong(`${str(env.name)}=${env.value}`);
    if (bytes === undefined) return;
    add(
      finding(
        'env-value-too-long',
        ref,
        index,
        `${path}/env/${i}/value`,
        `container '${name}' has an environment string ${str(env.name)}=... of ${bytes} bytes, and Linux takes at most ${MAX_ARG_STRLEN - 1} per string (MAX_ARG_STRLEN): the container never starts ("argument list too long")`,
        'put the text in a ConfigMap or Secret mounted as a file, and pass its path instead',
      ),
    );
  });
}

/** The UTF-8 size of `text` when it is longer than one execve string may be, else undefined. */
function tooLong(text: unknown): number | undefined {
  // At most 3 UTF-8 bytes per UTF-16 unit: most strings are short enough without counting.
  if (typeof text !== 'string' || text.length * 3 < MAX_ARG_STRLEN) return undefined;
  const bytes = utf8Length(text);
  return bytes <= MAX_ARG_STRLEN - 1 ? undefined : bytes;
}

function resourceFindings({ c, name, path }: Container, ref: ObjectRef, index: number, add: Add): void {
  const resources = obj(c.resources);
  const requests = obj(resources?.requests);
  const limits = obj(resources?.limits);
  if (!requests || !limits) return;
  for (const [resource, unit] of [
    ['cpu', 1000],
    ['memory', 1],
  ] as const) {
    const request = quantityValue(requests[resource], unit);
    const limit = quantityValue(limits[resource], unit);
    if (request === undefined || limit === undefined || request <= limit) continue;
    add(
      finding(
        'request-above-limit',
        ref,
        index,
        `${path}/resources`,
        `container '${name}' requests ${String(requests[resource])} ${resource}, above its limit ${String(limits[resource])}, which the API server refuses`,
        `lower the ${resource} request to the limit or below, or raise the limit`,
      ),
    );
  }
}
