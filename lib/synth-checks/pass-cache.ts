import { ApiObject, App, ImplicitTokenResolver, LazyResolver, NumberStringUnionResolver, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { utf8Length } from '../core/limits';
import { isMarkedOutsideCheckedFields, rawJsonPatchesOf } from '../core/manifest-patches';
import { POD_SPEC_POINTERS } from '../core/pod-spec';
import { parseQuantity } from '../core/quantity';

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
  /** The API objects under `root` by their identity (see {@link identityKey}), in tree order. */
  readonly objectsByIdentity: (root: IConstruct) => Map<string, ApiObject[]>;
  /** The Services under `root` by each node port they take, in tree order. */
  readonly servicesByNodePort: (root: IConstruct) => Map<number, ApiObject[]>;
}

/** One string per API identity: objects with equal keys are the same object to the API server. */
export function identityKey(identity: ObjectIdentity): string {
  return JSON.stringify([identity.group, identity.kind, identity.namespace ?? null, identity.name]);
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
  const identities = new Map<IConstruct, Map<string, ApiObject[]>>();
  const nodePorts = new Map<IConstruct, Map<number, ApiObject[]>>();
  const cache: PassCache = {
    render: (object) => getOrAdd(manifests, object, () => object.toJson()),
    objectsByIdentity: (root) =>
      getOrAdd(identities, root, () => {
        const index = new Map<string, ApiObject[]>();
        for (const object of apiObjectsUnder(root)) getOrAdd(index, identityKey(identityOf(object, cache)), () => []).push(object);
        return index;
      }),
    servicesByNodePort: (root) =>
      getOrAdd(nodePorts, root, () => {
        const index = new Map<number, ApiObject[]>();
        for (const object of apiObjectsUnder(root)) {
          for (const port of new Set(nodePortsOf(object, cache))) getOrAdd(index, port, () => []).push(object);
        }
        return index;
      }),
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
  return isUnpatched(object) ? owner : undefined;
}

/**
 * Whether `object` renders what it was built with: no JSON patch but the library's own
 * (marked as outside the checked fields), no instance-level `toJson`, no resolvers of the
 * app's own. Its kind, name and namespace are then the ones it was constructed with.
 */
function isUnpatched(object: ApiObject): boolean {
  // An app's own resolvers may rewrite any value as it is rendered.
  const resolvers = (object.node.root as Partial<App>).resolvers ?? [];
  if (!resolvers.every((r) => r instanceof LazyResolver || r instanceof ImplicitTokenResolver || r instanceof NumberStringUnionResolver)) {
    return false;
  }
  // cdk8s 2.x keeps the patches of addJsonPatch in the private field `patches`.
  const patches = (object as unknown as { patches?: unknown }).patches;
  if (!Array.isArray(patches) || !patches.every(isMarkedOutsideCheckedFields)) return false;
  const rawPatches = rawJsonPatchesOf(object);
  return rawPatches ? rawPatches.every(isMarkedOutsideCheckedFields) : !Object.hasOwn(object, 'toJson');
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

/** What the synth checks read of one container (or init or ephemeral container). */
export interface ContainerFacts {
  /** JSON pointer to the container in the object's manifest. */
  readonly pointer: string;
  /** The container's name. */
  readonly name: string;
  /** The mount paths of its volume mounts, in order. */
  readonly mountPaths: readonly string[];
  /** Its exec words: `command`, `args` and the exec lifecycle hooks and probes, with their pointers. */
  readonly execWords: readonly { readonly pointer: string; readonly words: readonly unknown[] }[];
  /** Its CPU (millicores) and memory (bytes) requests and limits, as numbers and as written. */
  readonly resources: { readonly [resource in 'cpu' | 'memory']: { readonly request?: Quantity; readonly limit?: Quantity } };
}

/** A resource quantity: its value (millicores for CPU, bytes for memory) and how the manifest writes it. */
export interface Quantity {
  /**
   * The value, in millicores (CPU) or bytes (memory).
   * @default - none: the quantity cannot be read (a token, an unknown form)
   */
  readonly value?: number;
  /** As written, e.g. `50m`, `64Mi`. */
  readonly text: string;
}

/** A Kubernetes quantity (`500m`, `0.5`, `64Mi`, `1e3`, a number) scaled by `unit` (1000 for millicores). */
function quantity(written: unknown, unit: number): Quantity | undefined {
  if (written === undefined || written === null) return undefined;
  const text = String(written);
  const value = parseQuantity(text, unit);
  return value === undefined ? { text } : { value, text };
}

function resourcesOf(requests: Manifest, limits: Manifest): ContainerFacts['resources'] {
  return {
    cpu: { request: quantity(requests?.cpu, 1000), limit: quantity(limits?.cpu, 1000) },
    memory: { request: quantity(requests?.memory, 1), limit: quantity(limits?.memory, 1) },
  };
}

const EXEC_PLACES = ['lifecycle/postStart', 'lifecycle/preStop', 'livenessProbe', 'readinessProbe', 'startupProbe'];

/**
 * The containers of the object's pod spec (init containers first, then containers and, when
 * rendered, ephemeral containers), from cdk8s-plus's model when it is the final state;
 * empty for an object without a pod spec.
 */
export function containerFactsOf(object: ApiObject, cache: PassCache): ContainerFacts[] {
  const owner = workloadModelOf(object);
  if (owner) return modelContainers(owner);
  const found = mayRunPods(object) ? podSpecOf(cache.render(object)) : undefined;
  if (!found) return [];
  return ['initContainers', 'containers', 'ephemeralContainers'].flatMap((list) =>
    ((found.spec[list] ?? []) as Manifest[]).map((container, i) => {
      const pointer = `${found.pointer}/${list}/${i}`;
      const execWords = [
        { pointer: `${pointer}/command`, words: container.command ?? [] },
        { pointer: `${pointer}/args`, words: container.args ?? [] },
        ...EXEC_PLACES.map((place) => ({
          pointer: `${pointer}/${place}/exec/command`,
          words: place.split('/').reduce((at: Manifest, key) => at?.[key], container)?.exec?.command ?? [],
        })),
      ];
      return {
        pointer,
        name: container.name,
        mountPaths: ((container.volumeMounts ?? []) as Manifest[]).map((mount) => mount.mountPath),
        execWords,
        resources: resourcesOf(container.resources?.requests, container.resources?.limits),
      };
    }),
  );
}

// What cdk8s-plus-27 keeps of a container: the public getters, and the lifecycle handlers in
// the private `_lifecycle` (each handler's command in its private `commandOptions`).
function modelContainers(owner: kplus.AbstractPod): ContainerFacts[] {
  const spec =
    owner instanceof kplus.Pod
      ? POD_SPEC_POINTERS.pod
      : owner instanceof kplus.CronJob
        ? POD_SPEC_POINTERS.cronJob
        : POD_SPEC_POINTERS.template;
  const lists: [string, readonly kplus.Container[]][] = [
    ['initContainers', owner.initContainers],
    ['containers', owner.containers],
  ];
  return lists.flatMap(([list, containers]) =>
    containers.map((container, i) => {
      const pointer = `${spec}/${list}/${i}`;
      const lifecycle = (container as unknown as { _lifecycle?: Record<string, { commandOptions?: { command?: string[] } } | undefined> })
        ._lifecycle;
      const hookWords = ['postStart', 'preStop'].map((hook) => ({
        pointer: `${pointer}/lifecycle/${hook}/exec/command`,
        words: lifecycle?.[hook]?.commandOptions?.command ?? [],
      }));
      const { cpu, memory } = container.resources ?? {};
      return {
        pointer,
        name: container.name,
        mountPaths: container.mounts.map((mount) => mount.path),
        execWords: [
          { pointer: `${pointer}/command`, words: container.command ?? [] },
          { pointer: `${pointer}/args`, words: container.args ?? [] },
          ...hookWords,
        ],
        resources: {
          cpu: { request: cpu?.request && quantity(cpu.request.amount, 1000), limit: cpu?.limit && quantity(cpu.limit.amount, 1000) },
          memory: { request: memory?.request && sizeQuantity(memory.request), limit: memory?.limit && sizeQuantity(memory.limit) },
        },
      };
    }),
  );
}

function sizeQuantity(size: Size): Quantity {
  const mebibytes = size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  return { value: mebibytes * 2 ** 20, text: `${mebibytes}Mi` };
}

/**
 * An upper bound of the size of `object`'s JSON, in bytes, read from the model without
 * rendering it when cdk8s-plus's model is its final state (the exec words, environment
 * values and metadata, at up to 6 bytes per character, plus room for every other field);
 * the exact size of its rendering otherwise.
 */
export function objectSizeBound(object: ApiObject, cache: PassCache): number {
  const owner = workloadModelOf(object);
  if (owner) {
    const containers = [...owner.initContainers, ...owner.containers];
    let characters = JSON.stringify(object.metadata.toJson()).length + JSON.stringify(owner.podMetadata.toJson()).length;
    for (const facts of modelContainers(owner)) {
      for (const { words } of facts.execWords) for (const word of words) characters += String(word).length;
    }
    for (const container of containers) {
      for (const value of Object.values(container.env.variables)) characters += typeof value.value === 'string' ? value.value.length : 0;
    }
    return 6 * characters + 16384 * (containers.length + owner.volumes.length + 1);
  }
  if (modelOwner(object) instanceof kplus.Service) {
    const service = modelOwner(object) as kplus.Service;
    return 6 * JSON.stringify(object.metadata.toJson()).length + 16384 * (service.ports.length + 1);
  }
  // Any other object built with plain props (a generated `Kube*` class, `new ApiObject`): its
  // props, which cdk8s keeps in the private field `props`, plus its metadata.
  const props = (object as unknown as { props?: unknown }).props;
  if (isUnpatched(object) && typeof props === 'object' && props !== null) {
    return 6 * (JSON.stringify(props).length + JSON.stringify(object.metadata.toJson()).length) + 65536;
  }
  return objectSize(object, cache);
}

/** The exact size of `object`'s JSON in bytes, rendering it. */
export function objectSize(object: ApiObject, cache: PassCache): number {
  return utf8Length(JSON.stringify(cache.render(object)));
}

/** An object's identity in the API: group, kind, namespace (undefined: the one it is applied to) and name. */
export interface ObjectIdentity {
  /** The API group (`core` for the core group, whose apiVersion is `v1`). */
  readonly group: string;
  /** The kind. */
  readonly kind: string;
  /**
   * The namespace.
   * @default - the namespace the manifests are applied to
   */
  readonly namespace?: string;
  /** The name. */
  readonly name: string;
}

// `apps/v1` is group `apps`; `v1` the core group.
function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : 'core';
}

/** The object's identity: as it was constructed while nothing patches it, else from its rendering. */
export function identityOf(object: ApiObject, cache: PassCache): ObjectIdentity {
  if (isUnpatched(object))
    return { group: groupOf(object.apiVersion), kind: object.kind, namespace: object.metadata.namespace, name: object.name };
  const manifest = cache.render(object);
  return {
    group: groupOf(String(manifest.apiVersion ?? object.apiVersion)),
    kind: manifest.kind ?? object.kind,
    namespace: manifest.metadata?.namespace,
    name: manifest.metadata?.name,
  };
}

/** The node ports of a Service (none for other objects), from the model when it is the final state. */
export function nodePortsOf(object: ApiObject, cache: PassCache): number[] {
  if (object.kind !== 'Service' || object.apiVersion !== 'v1') return [];
  const owner = modelOwner(object);
  const ports: { nodePort?: unknown }[] = owner instanceof kplus.Service ? owner.ports : (cache.render(object).spec?.ports ?? []);
  return ports.map((port) => port.nodePort).filter((port): port is number => typeof port === 'number');
}
