import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import {
  apiObjectsUnder,
  cacheEachValidationPass,
  describe,
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
  | 'SLEEP_ACTION';

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
 * ({@link volumeMountProblems}). Call it on your own charts too: `addStandardSynthChecks(chart)`.
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
  const selects = (pod: PodLabels) =>
    (namespace === undefined || pod.namespace === undefined || pod.namespace === namespace) &&
    entries.every(([key, value]) => pod.label(key) === value);
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
