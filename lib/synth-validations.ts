import { ApiObject, App, ImplicitTokenResolver, LazyResolver, NumberStringUnionResolver } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { isOutsideCheckedFields } from './checked-fields';
import { rawJsonPatchesOf } from './raw-manifest-fields';

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
    const view = passMemo ?? freshView();
    const objects = apiObjectsUnder(scope);
    // A construct's Service usually selects a pod of the same construct: look there first.
    const nearbyPods = objects.filter(mayRunPods);
    return objects.flatMap((object) => [...selectorProblemsOf(object, view, nearbyPods), ...mountProblemsOf(object, view)]);
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
  return selectorProblemsOf(ApiObject.of(service), freshView());
}

function selectorProblemsOf(object: ApiObject, view: FinalState, nearbyPods: readonly ApiObject[] = []): string[] {
  if (object.kind !== 'Service' || object.apiVersion !== 'v1') return [];
  const { type, selector, namespace } = serviceSpecOf(object, view);
  if (type === 'ExternalName' || Object.keys(selector).length === 0) return [];
  const entries = Object.entries(selector);
  const selects = (pod: PodLabels) =>
    (namespace === undefined || pod.namespace === undefined || pod.namespace === namespace) &&
    entries.every(([key, value]) => pod.label(key) === value);
  if (nearbyPods.some((candidate) => podLabelsOf(candidate, view).some(selects))) return [];
  // Else search the whole app, among the pods of the selector's rarest label.
  const candidates = entries
    .map(([key, value]) => view.podsByLabel(object.node.root, key).get(value) ?? [])
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
  return mountProblemsOf(ApiObject.of(workload), freshView());
}

function mountProblemsOf(object: ApiObject, view: FinalState): string[] {
  // cdk8s-plus adds the volume of every mount it renders: only patches and raw objects can break this.
  if (!mayRunPods(object) || workloadModelOf(object)) return [];
  const found = podSpecOf(view.render(object));
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
  const grace = gracePeriodOf(object, freshView());
  if (grace === undefined || grace >= requirement.seconds) return [];
  return [
    `${describe(object)}: terminationGracePeriodSeconds is ${grace}, but ${requirement.reason} needs ${requirement.seconds}; ` +
      'the kubelet kills the containers when the grace period ends, even in the middle of the hook',
  ];
}

/** The object's grace period in seconds (Kubernetes' default when not set), undefined without a pod spec. */
function gracePeriodOf(object: ApiObject, view: FinalState): number | undefined {
  const owner = workloadModelOf(object);
  if (owner) return owner.terminationGracePeriod?.toSeconds() ?? DEFAULT_GRACE_PERIOD_SECONDS;
  const found = podSpecOf(view.render(object));
  return found && ((found.spec.terminationGracePeriodSeconds as number | undefined) ?? DEFAULT_GRACE_PERIOD_SECONDS);
}

/** Kubernetes' default `terminationGracePeriodSeconds`. */
const DEFAULT_GRACE_PERIOD_SECONDS = 30;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- synthesized JSON is walked field by field
type Manifest = any;

// Rendering an object (ApiObject.toJson: resolve every value, sort keys, apply patches) is
// what synth itself spends most of its time on, and cdk8s runs the validations once per
// app.synth() plus once per chart (each Chart.toJson validates the whole app again). So
// the checks render as little as they can:
// - a cdk8s-plus workload whose JSON patches are all recorded as outside the checked
//   fields (the security contexts and native sidecars this library writes) has, for those
//   fields, the state cdk8s-plus models: its pod labels are its pod metadata, its mounts
//   all have volumes, its grace period is the one it was built with. The checks read that
//   (`modelOwner`) and never render it. Any other patch, an instance-level `toJson`, an
//   app with resolvers of its own, or a cdk8s whose ApiObject keeps its patches elsewhere
//   sends the object to rendering.
// - everything else is rendered at most once per validation pass. cdk8s runs a pass in one
//   synchronous walk over the construct tree, root first, on a state that cannot change
//   during the pass; a validation on the root starts a fresh memo at each pass, and the
//   memo is dropped when the pass's task ends, so nothing outside a pass sees it.
interface FinalState {
  readonly render: (object: ApiObject) => Manifest;
  /** The pods and pod templates under `root` that have label `key`, by its value. */
  readonly podsByLabel: (root: IConstruct, key: string) => Map<string, PodLabels[]>;
}
let passMemo: FinalState | undefined;
const rootsWithMemo = new WeakSet<IConstruct>();

function startsPassMemo(root: IConstruct): void {
  if (rootsWithMemo.has(root)) return;
  rootsWithMemo.add(root);
  root.node.addValidation({
    validate: () => {
      const memo = freshView();
      passMemo = memo;
      queueMicrotask(() => {
        if (passMemo === memo) passMemo = undefined;
      });
      return [];
    },
  });
}

function freshView(): FinalState {
  const manifests = new Map<ApiObject, Manifest>();
  const pods = new Map<IConstruct, PodLabels[]>();
  const indexes = new Map<IConstruct, Map<string, Map<string, PodLabels[]>>>();
  const view: FinalState = {
    render: (object) => getOrAdd(manifests, object, () => object.toJson()),
    podsByLabel: (root, key) => {
      const byKey = getOrAdd(indexes, root, () => new Map<string, Map<string, PodLabels[]>>());
      return getOrAdd(byKey, key, () => {
        const podsOfRoot = getOrAdd(pods, root, () =>
          apiObjectsUnder(root)
            .filter(mayRunPods)
            .flatMap((object) => podLabelsOf(object, view)),
        );
        const index = new Map<string, PodLabels[]>();
        for (const pod of podsOfRoot) {
          const value = pod.label(key);
          if (value !== undefined) getOrAdd(index, value, () => []).push(pod);
        }
        return index;
      });
    },
  };
  return view;
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/**
 * The cdk8s-plus construct that renders `object` (a workload, or a Service) when its model
 * is the final state of every field the checks read; undefined when only rendering tells.
 */
function modelOwner(object: ApiObject): IConstruct | undefined {
  const owner = object.node.scope;
  if (!(owner instanceof kplus.AbstractPod || owner instanceof kplus.Service) || owner.node.defaultChild !== object) return undefined;
  // An app's own resolvers may rewrite any value as it is rendered.
  const resolvers = (object.node.root as Partial<App>).resolvers ?? [];
  if (!resolvers.every((r) => r instanceof LazyResolver || r instanceof ImplicitTokenResolver || r instanceof NumberStringUnionResolver)) {
    return undefined;
  }
  // cdk8s 2.x keeps the patches of addJsonPatch in the private field `patches`.
  const patches = (object as unknown as { patches?: unknown }).patches;
  if (!Array.isArray(patches) || !patches.every(isOutsideCheckedFields)) return undefined;
  const rawPatches = rawJsonPatchesOf(object);
  if (rawPatches ? !rawPatches.every(isOutsideCheckedFields) : Object.hasOwn(object, 'toJson')) return undefined;
  return owner;
}

function workloadModelOf(object: ApiObject): kplus.AbstractPod | undefined {
  const owner = modelOwner(object);
  return owner instanceof kplus.AbstractPod ? owner : undefined;
}

interface ServiceSpec {
  readonly type?: string;
  readonly selector: Record<string, string>;
  readonly namespace?: string;
}

function serviceSpecOf(object: ApiObject, view: FinalState): ServiceSpec {
  const owner = modelOwner(object);
  // cdk8s-plus-27 keeps what select() and selectLabel() add in the private field `_selector`.
  const selector = owner instanceof kplus.Service ? (owner as unknown as { _selector?: unknown })._selector : undefined;
  if (owner instanceof kplus.Service && isStringRecord(selector))
    return { type: owner.type, selector, namespace: object.metadata.namespace };
  const manifest = view.render(object);
  return { type: manifest.spec?.type, selector: manifest.spec?.selector ?? {}, namespace: manifest.metadata?.namespace };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}

/** The labels of a pod, or of the pods of a pod template. */
interface PodLabels {
  readonly label: (key: string) => string | undefined;
  readonly namespace?: string;
}

/** The label sets of the pods an object runs: its own for a Pod, its pod template's otherwise. */
function podLabelsOf(object: ApiObject, view: FinalState): PodLabels[] {
  const owner = workloadModelOf(object);
  if (owner) {
    // Read one label at a time, unresolved, unless a value is not a plain string (a token).
    const metadata = owner.podMetadata;
    let resolved: Record<string, string> | undefined;
    const label = (key: string): string | undefined => {
      const value: unknown = metadata.getLabel(key);
      if (value === undefined || typeof value === 'string') return value;
      resolved ??= (metadata.toJson().labels ?? {}) as Record<string, string>;
      return ownLabel(resolved, key);
    };
    return [{ label, namespace: object.metadata.namespace }];
  }
  const manifest = view.render(object);
  const namespace = manifest.metadata?.namespace as string | undefined;
  const sets = [
    manifest.kind === 'Pod' ? manifest.metadata?.labels : undefined,
    manifest.spec?.template?.metadata?.labels,
    manifest.spec?.jobTemplate?.spec?.template?.metadata?.labels,
  ];
  return sets
    .filter((labels): labels is Record<string, string> => labels !== undefined && labels !== null)
    .map((labels) => ({ label: (key: string) => ownLabel(labels, key), namespace }));
}

// Not inherited members: a label key may be `constructor`.
function ownLabel(labels: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

function apiObjectsUnder(scope: IConstruct): ApiObject[] {
  return scope.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
}

const POD_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController']);

/**
 * Whether an object can run pods, decided without rendering it: the built-in workload
 * kinds, and any custom resource (an API group outside `*.k8s.io`, such as an Argo
 * Rollout), whose pod template is looked for where the built-in ones keep it.
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
