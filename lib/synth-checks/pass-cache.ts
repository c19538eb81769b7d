import { ApiObject, App, ImplicitTokenResolver, LazyResolver, NumberStringUnionResolver } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { isMarkedOutsideCheckedFields, POD_SPEC_POINTERS, rawJsonPatchesOf } from '../core/manifest-patches';

// The speed layer of the synth checks: what they read of an object, from cdk8s-plus's model
// when that is the final state, else from one rendering per validation pass.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- synthesized JSON is walked field by field
export type Manifest = any;

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
export interface PassCache {
  readonly render: (object: ApiObject) => Manifest;
  /** The pods and pod templates under `root` that have label `key`, by its value. */
  readonly podsByLabel: (root: IConstruct, key: string) => Map<string, PodLabels[]>;
}
let currentPass: PassCache | undefined;

/** The cache of the validation pass under way, or a new one outside a pass. */
export function passCache(): PassCache {
  return currentPass ?? newPassCache();
}
const rootsWithMemo = new WeakSet<IConstruct>();

/** Makes every validation pass of the app under `root` share one cache (see above). */
export function cacheEachValidationPass(root: IConstruct): void {
  if (rootsWithMemo.has(root)) return;
  rootsWithMemo.add(root);
  root.node.addValidation({
    validate: () => {
      const cache = newPassCache();
      currentPass = cache;
      queueMicrotask(() => {
        if (currentPass === cache) currentPass = undefined;
      });
      return [];
    },
  });
}

/** A cache for one check outside a validation pass. */
export function newPassCache(): PassCache {
  const manifests = new Map<ApiObject, Manifest>();
  const pods = new Map<IConstruct, PodLabels[]>();
  const indexes = new Map<IConstruct, Map<string, Map<string, PodLabels[]>>>();
  const cache: PassCache = {
    render: (object) => getOrAdd(manifests, object, () => object.toJson()),
    podsByLabel: (root, key) => {
      const byKey = getOrAdd(indexes, root, () => new Map<string, Map<string, PodLabels[]>>());
      return getOrAdd(byKey, key, () => {
        const podsOfRoot = getOrAdd(pods, root, () =>
          apiObjectsUnder(root)
            .filter(mayRunPods)
            .flatMap((object) => podLabelsOf(object, cache)),
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
  return cache;
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
  if (!Array.isArray(patches) || !patches.every(isMarkedOutsideCheckedFields)) return undefined;
  const rawPatches = rawJsonPatchesOf(object);
  if (rawPatches ? !rawPatches.every(isMarkedOutsideCheckedFields) : Object.hasOwn(object, 'toJson')) return undefined;
  return owner;
}

/** The cdk8s-plus workload whose model is `object`'s final state, if there is one. */
export function workloadModelOf(object: ApiObject): kplus.AbstractPod | undefined {
  const owner = modelOwner(object);
  return owner instanceof kplus.AbstractPod ? owner : undefined;
}

/** What the selector check reads of a Service. */
export interface ServiceSpec {
  /**
   * `spec.type`.
   * @default - ClusterIP
   */
  readonly type?: string;
  /** `spec.selector`, empty when not set. */
  readonly selector: Record<string, string>;
  /**
   * `metadata.namespace`.
   * @default - the namespace it is applied to
   */
  readonly namespace?: string;
}

/** The Service's type, selector and namespace, from the model when it is the final state. */

export function serviceSpecOf(object: ApiObject, cache: PassCache): ServiceSpec {
  const owner = modelOwner(object);
  // cdk8s-plus-27 keeps what select() and selectLabel() add in the private field `_selector`.
  const selector = owner instanceof kplus.Service ? (owner as unknown as { _selector?: unknown })._selector : undefined;
  if (owner instanceof kplus.Service && isStringRecord(selector))
    return { type: owner.type, selector, namespace: object.metadata.namespace };
  const manifest = cache.render(object);
  return { type: manifest.spec?.type, selector: manifest.spec?.selector ?? {}, namespace: manifest.metadata?.namespace };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}

/** The labels of a pod, or of the pods of a pod template. */
export interface PodLabels {
  /** The value of label `key`, undefined when the pods do not have it. */
  readonly label: (key: string) => string | undefined;
  /**
   * The pods' namespace.
   * @default - the namespace it is applied to
   */
  readonly namespace?: string;
}

/** The label sets of the pods an object runs: its own for a Pod, its pod template's otherwise. */
export function podLabelsOf(object: ApiObject, cache: PassCache): PodLabels[] {
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
  const manifest = cache.render(object);
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

/** The API objects under `scope`, at any depth. */
export function apiObjectsUnder(scope: IConstruct): ApiObject[] {
  return scope.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
}

const POD_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController']);

/**
 * Whether an object can run pods, decided without rendering it: the built-in workload
 * kinds, and any custom resource (an API group outside `*.k8s.io`, such as an Argo
 * Rollout), whose pod template is looked for where the built-in ones keep it.
 */
export function mayRunPods(object: ApiObject): boolean {
  if (POD_KINDS.has(object.kind)) return true;
  return object.apiGroup.includes('.') && !object.apiGroup.endsWith('.k8s.io');
}

/** How messages name an object: kind, name and construct path. */
export function describe(object: ApiObject): string {
  return `${object.kind} '${object.name}' (${object.node.path})`;
}

/** The pod spec of a Pod, of an object with a pod template, or of a CronJob, with its JSON pointer. */
export function podSpecOf(manifest: Manifest): { spec: Manifest; pointer: string } | undefined {
  const candidates: [Manifest, string][] = [
    [manifest.kind === 'Pod' ? manifest.spec : undefined, POD_SPEC_POINTERS.pod],
    [manifest.spec?.template?.spec, POD_SPEC_POINTERS.template],
    [manifest.spec?.jobTemplate?.spec?.template?.spec, POD_SPEC_POINTERS.cronJob],
  ];
  const found = candidates.find(([spec]) => Array.isArray(spec?.containers));
  return found && { spec: found[0], pointer: found[1] };
}
