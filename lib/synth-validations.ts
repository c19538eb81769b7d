import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * A check on the final state of the app, run at synth time: one message per problem,
 * an empty list when all is well.
 */
export type SynthCheck = () => readonly string[];

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
  scope.node.addValidation({ validate: () => [...check()] });
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
  startsPassMemo(scope.node.root);
  addSynthCheck(scope, () => {
    const { render, index } = passMemo ?? freshRendering();
    return apiObjectsUnder(scope).flatMap((object) => {
      const manifest = render(object);
      return [...selectorProblemsOf(object, manifest, index), ...mountProblemsOf(object, manifest)];
    });
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
  const object = ApiObject.of(service);
  const { render, index } = freshRendering();
  return isService(object) ? selectorProblemsOf(object, render(object), index) : [];
}

function isService(object: ApiObject): boolean {
  return object.kind === 'Service' && object.apiVersion === 'v1';
}

function selectorProblemsOf(
  object: ApiObject,
  manifest: Manifest,
  podLabelIndex: (root: IConstruct) => Map<string, PodLabels[]>,
): string[] {
  if (!isService(object)) return [];
  const selector = (manifest.spec?.selector ?? {}) as Record<string, string>;
  if (manifest.spec?.type === 'ExternalName' || Object.keys(selector).length === 0) return [];
  const namespace = manifest.metadata?.namespace;
  const entries = Object.entries(selector);
  const [firstKey, firstValue] = entries[0];
  const matches = (podLabelIndex(object.node.root).get(labelPair(firstKey, firstValue)) ?? []).some(
    ({ labels, namespace: ns }) =>
      (namespace === undefined || ns === undefined || ns === namespace) && entries.every(([key, value]) => labels[key] === value),
  );
  if (matches) return [];
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
  const object = ApiObject.of(workload);
  return mountProblemsOf(object, object.toJson());
}

function mountProblemsOf(object: ApiObject, manifest: Manifest): string[] {
  const found = podSpecOf(manifest);
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

/** What a preStop hook needs from the pod's grace period; see {@link gracePeriodProblems}. */
export interface GracePeriodRequirement {
  /** The least `terminationGracePeriodSeconds` that lets the hook finish. */
  readonly seconds: number;
  /** What needs the time, for the message, e.g. `the preStop hook (sleep 15 and upload)`. */
  readonly reason: string;
}

/**
 * Problems of a pod whose `terminationGracePeriodSeconds` (30 when not set) is shorter than
 * `requirement.seconds`. The grace period counts down from the moment the pod is deleted,
 * before the preStop hook starts; when it runs out the kubelet kills the containers, hook
 * or not. A construct with a preStop hook registers this with {@link addSynthCheck}, so a
 * grace period lowered later (by a prop, a JSON patch) still fails the synth.
 *
 * @param workload a Pod, a workload with a pod template, or any construct whose API object is one
 * @param requirement how long the hook needs and why
 * @returns one message, or none
 */
export function gracePeriodProblems(workload: IConstruct, requirement: GracePeriodRequirement): string[] {
  const object = ApiObject.of(workload);
  const found = podSpecOf(object.toJson() as Manifest);
  if (!found) return [];
  const grace = (found.spec.terminationGracePeriodSeconds as number | undefined) ?? DEFAULT_GRACE_PERIOD_SECONDS;
  if (grace >= requirement.seconds) return [];
  return [
    `${describe(object)}: terminationGracePeriodSeconds is ${grace}, but ${requirement.reason} needs ${requirement.seconds}; ` +
      'the kubelet kills the containers when the grace period ends, even in the middle of the hook',
  ];
}

/** Kubernetes' default `terminationGracePeriodSeconds`. */
const DEFAULT_GRACE_PERIOD_SECONDS = 30;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- synthesized JSON is walked field by field
type Manifest = any;

// cdk8s runs every validation of the app in one synchronous pass over the construct tree,
// root first, on a state that cannot change during the pass. Rendering each object once per
// pass and indexing the pods' labels once keeps the standard checks linear in the app's size
// (searching every rendered object for each Service was quadratic: minutes at 1,000
// instances). A validation on the root starts a fresh memo at each pass; the memo is dropped
// when the pass's task ends, so nothing outside a pass sees it.
interface Rendering {
  readonly render: (object: ApiObject) => Manifest;
  readonly index: (root: IConstruct) => Map<string, PodLabels[]>;
}
let passMemo: Rendering | undefined;
const rootsWithMemo = new WeakSet<IConstruct>();

function startsPassMemo(root: IConstruct): void {
  if (rootsWithMemo.has(root)) return;
  rootsWithMemo.add(root);
  root.node.addValidation({
    validate: () => {
      const memo = freshRendering();
      passMemo = memo;
      queueMicrotask(() => {
        if (passMemo === memo) passMemo = undefined;
      });
      return [];
    },
  });
}

function freshRendering(): Rendering {
  const manifests = new Map<ApiObject, Manifest>();
  const indexes = new Map<IConstruct, Map<string, PodLabels[]>>();
  const render = (object: ApiObject): Manifest => {
    let manifest = manifests.get(object);
    if (manifest === undefined) {
      manifest = object.toJson();
      manifests.set(object, manifest);
    }
    return manifest;
  };
  const index = (root: IConstruct) => {
    let found = indexes.get(root);
    if (!found) {
      found = podLabelIndexOf(root, render);
      indexes.set(root, found);
    }
    return found;
  };
  return { render, index };
}

interface PodLabels {
  readonly labels: Record<string, string>;
  readonly namespace?: string;
}

function labelPair(key: string, value: string): string {
  return `${key}\n${value}`;
}

/** The label sets of every pod and pod template under `root`, by each of their key=value pairs. */
function podLabelIndexOf(root: IConstruct, render: (object: ApiObject) => Manifest): Map<string, PodLabels[]> {
  const index = new Map<string, PodLabels[]>();
  for (const candidate of apiObjectsUnder(root).filter(mayRunPods).map(render)) {
    const namespace = candidate.metadata?.namespace as string | undefined;
    for (const labels of podLabelSets(candidate)) {
      for (const [key, value] of Object.entries(labels)) {
        const pair = labelPair(key, value);
        const list = index.get(pair) ?? [];
        list.push({ labels, namespace });
        index.set(pair, list);
      }
    }
  }
  return index;
}

function apiObjectsUnder(scope: IConstruct): ApiObject[] {
  return scope.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
}

const POD_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController']);

/**
 * Whether an object can run pods, decided without rendering it (rendering every object of
 * the app for every Service would cost more than the rest of the synth): the built-in
 * workload kinds, and any custom resource (an API group outside `*.k8s.io`, such as an
 * Argo Rollout), whose pod template is looked for where the built-in ones keep it.
 */
function mayRunPods(object: ApiObject): boolean {
  if (POD_KINDS.has(object.kind)) return true;
  return object.apiGroup.includes('.') && !object.apiGroup.endsWith('.k8s.io');
}

function describe(object: ApiObject): string {
  return `${object.kind} '${object.name}' (${object.node.path})`;
}

/** The pod spec of a Pod, of an object with a pod template, or of a CronJob, with its JSON pointer. */
function podSpecOf(manifest: Manifest): { spec: Manifest; pointer: string } | undefined {
  const candidates: [Manifest, string][] = [
    [manifest.kind === 'Pod' ? manifest.spec : undefined, '/spec'],
    [manifest.spec?.template?.spec, '/spec/template/spec'],
    [manifest.spec?.jobTemplate?.spec?.template?.spec, '/spec/jobTemplate/spec/template/spec'],
  ];
  const found = candidates.find(([spec]) => Array.isArray(spec?.containers));
  return found && { spec: found[0], pointer: found[1] };
}

/** The label sets of the pods an object runs: its own for a Pod, its pod template's otherwise. */
function podLabelSets(manifest: Manifest): Record<string, string>[] {
  const sets = [
    manifest.kind === 'Pod' ? manifest.metadata?.labels : undefined,
    manifest.spec?.template?.metadata?.labels,
    manifest.spec?.jobTemplate?.spec?.template?.metadata?.labels,
  ];
  return sets.filter((labels): labels is Record<string, string> => labels !== undefined && labels !== null);
}
