import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { MAX_ARG_STRLEN, MAX_OBJECT_BYTES, utf8Length } from '../core/limits';
import {
  apiObjectsUnder,
  cacheEachValidationPass,
  containerFactsOf,
  describe,
  identityKey,
  identityOf,
  nodePortsOf,
  objectSize,
  objectSizeBound,
  Manifest,
  mayRunPods,
  newPassCache,
  PassCache,
  passCache,
  PodLabels,
  podLabelsOf,
  podSpecOf,
  serviceSpecOf,
  workloadModelOf,
} from './pass-cache';

/** The stable code of a problem the library's own synth checks report. */
export type SynthProblemCode =
  /** A Service whose selector matches no pod of the app: it has no endpoints. */
  | 'SERVICE_WITHOUT_ENDPOINTS'
  /** A volume mount or device naming a volume the pod does not have. */
  | 'MOUNT_WITHOUT_VOLUME'
  /** A grace period shorter than the preStop hook needs. */
  | 'GRACE_PERIOD'
  /** A `sleep` lifecycle action longer than the grace period: the API server rejects the pod. */
  | 'SLEEP_ACTION_TOO_LONG'
  /** An exec word (command, args, an exec hook or probe) longer than one `execve` argument may be (MAX_ARG_STRLEN). */
  | 'ARG_TOO_LONG'
  /** An object whose JSON is larger than the API server stores (etcd's 1.5 MiB). */
  | 'OBJECT_TOO_LARGE'
  /** Two volumes mounted at the same path in one container. */
  | 'DUPLICATE_MOUNT_PATH'
  /** Two containers (init containers included) of one name in a pod. */
  | 'DUPLICATE_CONTAINER_NAME'
  /** Two objects of the app with the same API group, kind, namespace and name: one replaces the other. */
  | 'DUPLICATE_OBJECT'
  /** Two Services of the app taking the same node port, which is cluster-wide. */
  | 'DUPLICATE_NODE_PORT'
  /** A CPU or memory request above its limit. */
  | 'REQUEST_ABOVE_LIMIT';

/** A problem with a code: the validation error shows it as `<message> [<code>]`. */
export interface SynthProblem {
  /** The stable code, e.g. `SERVICE_WITHOUT_ENDPOINTS`. */
  readonly code: string;
  /** What is wrong, naming the object. */
  readonly message: string;
}

/** The messages as problems with `code`. */
export function problemsWithCode(code: string, messages: readonly string[]): SynthProblem[] {
  return messages.map((message) => ({ code, message }));
}

/**
 * A check on the final state of the app, run at synth time: one message (or problem with a
 * code) per problem, an empty list when all is well.
 */
export type SynthCheck = () => readonly (string | SynthProblem)[];

/**
 * Registers `check` with `scope.node.addValidation`, so it runs on the final state of the
 * app, after every construct and JSON patch is in place. `app.synth()` (and so `cdk8s synth`),
 * `app.synthYaml()`, `chart.toJson()` and `Testing.synth(chart)` run the checks of the whole
 * app and then throw one error listing every problem, each line prefixed with the
 * construct path of `scope`: `[site/web] Service 'web' ...`.
 *
 * Use it for rules that the constructor cannot decide because they depend on what other
 * code does later, e.g. a grace period that must outlast a preStop hook:
 * `addSynthCheck(this, () => gracePeriodProblems(this.pod, { seconds: 40, reason: 'the preStop hook' }))`.
 *
 * @param scope the construct the problems are reported on
 * @param check returns one message per problem
 */
export function addSynthCheck(scope: IConstruct, check: SynthCheck): void {
  scope.node.addValidation({
    validate: () => check().map((problem) => (typeof problem === 'string' ? problem : `${problem.message} [${problem.code}]`)),
  });
}

/**
 * Registers the checks every construct of this library wants on its own objects: each
 * Service under `scope` selects at least one pod of the app ({@link serviceSelectorProblems}),
 * and each volume mount of each pod spec under `scope` names a volume of that pod
 * ({@link volumeMountProblems}). Also, with their codes: no exec word longer than one
 * `execve` argument (`ARG_TOO_LONG`), no object larger than the API server stores
 * (`OBJECT_TOO_LARGE`), no two mounts at one path in a container (`DUPLICATE_MOUNT_PATH`),
 * no two containers of one name in a pod (`DUPLICATE_CONTAINER_NAME`), no request above its
 * limit (`REQUEST_ABOVE_LIMIT`), and, app-wide, no other object with the same group, kind,
 * namespace and name (`DUPLICATE_OBJECT`) and no other Service on the same node port
 * (`DUPLICATE_NODE_PORT`). Call it on your own charts too: `addStandardSynthChecks(chart)`.
 *
 * @param scope the construct whose API objects (at any depth) are checked
 */
export function addStandardSynthChecks(scope: IConstruct): void {
  cacheEachValidationPass(scope.node.root);
  addSynthCheck(scope, () => {
    const cache = passCache();
    const objects = apiObjectsUnder(scope);
    // A construct's Service usually selects a pod of the same construct: look there first.
    const nearbyPods = objects.filter(mayRunPods);
    return objects.flatMap((object) => [
      ...problemsWithCode('SERVICE_WITHOUT_ENDPOINTS', selectorProblemsOf(object, cache, nearbyPods)),
      ...problemsWithCode('MOUNT_WITHOUT_VOLUME', mountProblemsOf(object, cache)),
      ...containerProblemsOf(object, cache),
      ...objectSizeProblemsOf(object, cache),
      ...duplicateProblemsOf(object, cache),
    ]);
  });
}

/**
 * Problems of a Service whose selector matches no Pod and no pod template in the same
 * namespace anywhere in the app: built-in workloads (Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, Job, CronJob, ReplicationController) and custom resources with a
 * `spec.template` (such as an Argo Rollout). Such a Service has no endpoints: every request
 * to it fails. A Service without a selector (endpoints managed by hand) or of type
 * `ExternalName` has no problem.
 *
 * @param service a Service: a cdk8s-plus `Service` or any construct whose API object is one;
 *   any other kind of object has no problem
 * @returns one message, or none
 */
export function serviceSelectorProblems(service: IConstruct): string[] {
  return selectorProblemsOf(ApiObject.of(service), newPassCache());
}

function selectorProblemsOf(object: ApiObject, cache: PassCache, nearbyPods: readonly ApiObject[] = []): string[] {
  if (object.kind !== 'Service' || object.apiVersion !== 'v1') return [];
  const { type, selector, namespace } = serviceSpecOf(object, cache);
  if (type === 'ExternalName' || Object.keys(selector).length === 0) return [];
  const entries = Object.entries(selector);
  // No namespace means the one the manifests are applied to, which an explicit namespace
  // (a chart's, or one a patch wrote) is not, unless they are applied into it.
  const selects = (pod: PodLabels) => pod.namespace === namespace && entries.every(([key, value]) => pod.label(key) === value);
  if (nearbyPods.some((candidate) => podLabelsOf(candidate, cache).some(selects))) return [];
  // Else search the whole app, among the pods of the selector's rarest label.
  const candidates = entries
    .map(([key, value]) => cache.podsByLabel(object.node.root, key).get(value) ?? [])
    .reduce((fewest, pods) => (pods.length < fewest.length ? pods : fewest));
  if (candidates.some(selects)) return [];
  const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
  return [
    `${describe(object)}: selector ${JSON.stringify(selector)} matches no Pod or pod template in the app${where}, so the Service has no endpoints`,
  ];
}

/**
 * Problems of volume mounts (and volume devices) that name a volume the pod does not have,
 * in every container, init container and ephemeral container of the object's pod spec. The
 * API server rejects such a pod; cdk8s-plus adds mounted volumes itself, so this catches
 * mounts added by JSON patches, `setManifestField` or raw API objects.
 *
 * @param workload a Pod, a workload with a pod template, or any construct whose API object
 *   is one; objects without a pod spec have no problem
 * @returns one message per mount
 */
export function volumeMountProblems(workload: IConstruct): string[] {
  return mountProblemsOf(ApiObject.of(workload), newPassCache());
}

function mountProblemsOf(object: ApiObject, cache: PassCache): string[] {
  // cdk8s-plus adds the volume of every mount it renders: only patches and raw objects can break this.
  if (!mayRunPods(object) || workloadModelOf(object)) return [];
  const found = podSpecOf(cache.render(object));
  if (!found) return [];
  const { spec, pointer } = found;
  const volumes = new Set(((spec.volumes ?? []) as { name?: string }[]).map((v) => v.name));
  const problems: string[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    ((spec[list] ?? []) as Manifest[]).forEach((container, i) => {
      for (const field of ['volumeMounts', 'volumeDevices']) {
        ((container[field] ?? []) as { name?: string; mountPath?: string; devicePath?: string }[]).forEach((mount, j) => {
          if (volumes.has(mount.name)) return;
          problems.push(
            `${describe(object)} at ${pointer}/${list}/${i}/${field}/${j}: container '${container.name}' uses volume '${mount.name}' ` +
              `at ${mount.mountPath ?? mount.devicePath}, but the pod has no volume of that name`,
          );
        });
      }
    });
  }
  return problems;
}

// The rules on each container of a pod spec: exec word sizes, mount paths, names, resources.
function containerProblemsOf(object: ApiObject, cache: PassCache): SynthProblem[] {
  if (!mayRunPods(object)) return [];
  const containers = containerFactsOf(object, cache);
  const problems: SynthProblem[] = [];
  const names = new Map<string, string>();
  for (const container of containers) {
    const first = names.get(container.name);
    if (first !== undefined) {
      problems.push({
        code: 'DUPLICATE_CONTAINER_NAME',
        message: `${describe(object)} at ${container.pointer}: container name '${container.name}' is taken by ${first}, and the API server refuses two containers of one name in a pod (init containers included)`,
      });
    } else names.set(container.name, container.pointer);
    const paths = new Set<string>();
    for (const path of container.mountPaths) {
      if (paths.has(path)) {
        problems.push({
          code: 'DUPLICATE_MOUNT_PATH',
          message: `${describe(object)} at ${container.pointer}: container '${container.name}' mounts two volumes at ${path}, and the API server refuses two mounts at one path`,
        });
      }
      paths.add(path);
    }
    for (const { pointer, words } of container.execWords) {
      words.forEach((word, i) => {
        const text = String(word);
        if (text.length * 3 < MAX_ARG_STRLEN) return;
        const bytes = utf8Length(text);
        if (bytes <= MAX_ARG_STRLEN - 1) return;
        problems.push({
          code: 'ARG_TOO_LONG',
          message: `${describe(object)} at ${pointer}/${i}: container '${container.name}' has an exec argument of ${bytes} bytes, and Linux takes at most ${MAX_ARG_STRLEN - 1} (MAX_ARG_STRLEN ${MAX_ARG_STRLEN} with its NUL): it fails with E2BIG every time it runs; move the text into a file (a ConfigMap) and run or copy that`,
        });
      });
    }
    for (const resource of ['cpu', 'memory'] as const) {
      const { request, limit } = container.resources[resource];
      if (request?.value !== undefined && limit?.value !== undefined && request.value > limit.value) {
        problems.push({
          code: 'REQUEST_ABOVE_LIMIT',
          message: `${describe(object)} at ${container.pointer}/resources: container '${container.name}' requests ${request.text} ${resource}, above its limit ${limit.text}, which the API server refuses`,
        });
      }
    }
  }
  return problems;
}

function objectSizeProblemsOf(object: ApiObject, cache: PassCache): SynthProblem[] {
  // A cheap bound first: rendering a model object only to measure it would cost what the model saves.
  if (objectSizeBound(object, cache) <= MAX_OBJECT_BYTES) return [];
  const bytes = objectSize(object, cache);
  if (bytes <= MAX_OBJECT_BYTES) return [];
  return [
    {
      code: 'OBJECT_TOO_LARGE',
      message: `${describe(object)}: its JSON has ${bytes} bytes, more than the ${MAX_OBJECT_BYTES} (1.5 MiB) etcd stores per object, so the API server refuses it; move large text into ConfigMaps of its own`,
    },
  ];
}

// App-wide: another object with the same identity, another Service on the same node port.
// The indexes are built once per validation pass; each object after the first is reported.
function duplicateProblemsOf(object: ApiObject, cache: PassCache): SynthProblem[] {
  const root = object.node.root;
  const problems: SynthProblem[] = [];
  const identity = identityOf(object, cache);
  const same = cache.objectsByIdentity(root).get(identityKey(identity)) ?? [];
  if (same.length > 1 && same[0] !== object) {
    const where = identity.namespace === undefined ? 'without a namespace' : `in namespace ${identity.namespace}`;
    problems.push({
      code: 'DUPLICATE_OBJECT',
      message: `${describe(object)}: ${same[0].node.path} is also a ${identity.kind} named '${identity.name}' ${where} (API group '${identity.group}'), so one would replace the other when applied; give one another name or namespace`,
    });
  }
  const byPort = cache.servicesByNodePort(root);
  for (const port of new Set(nodePortsOf(object, cache))) {
    const services = byPort.get(port) ?? [];
    if (services.length > 1 && services[0] !== object) {
      problems.push({
        code: 'DUPLICATE_NODE_PORT',
        message: `${describe(object)}: node port ${port} is also taken by ${describe(services[0])}; node ports are cluster-wide, so the API server refuses the second Service`,
      });
    }
  }
  return problems;
}
