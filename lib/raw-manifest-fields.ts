import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { outsideCheckedFields } from './checked-fields';
import { containerPointer } from './pod-spec-patch';

// The patches of each object, applied by its wrapped toJson in the order they were added.
const rawPatches = new WeakMap<ApiObject, JsonPatch[]>();

/**
 * Applies JSON patches to the object's final manifest, after cdk8s-plus-27 has rendered
 * it, so they can write fields the Kubernetes 1.27 schema does not know.
 *
 * `ApiObject.of(x).addJsonPatch(...)` is applied *before* the generated `toJson` of
 * cdk8s-plus-27's `k8s` imports copies the object field by field, so a field that schema
 * lacks (an init container's `restartPolicy`, a `sleep` lifecycle handler, both
 * Kubernetes 1.29+) is silently dropped (cdk8s-team/cdk8s#2172). These patches run on
 * what that `toJson` returns, so they reach `Testing.synth`, `app.synth()` and
 * `app.synthYaml()` alike.
 *
 * Values are written as given: they are not resolved like construct props (no tokens),
 * and nothing checks them against a schema. A patch whose path does not exist fails the
 * synthesis with the construct path in the message.
 *
 * @param scope an `ApiObject`, or a construct whose default child is one (any
 *   cdk8s-plus resource, e.g. a `Deployment`)
 * @example addRawJsonPatch(deployment, JsonPatch.add('/spec/template/spec/initContainers/1/restartPolicy', 'Always'))
 */
export function addRawJsonPatch(scope: IConstruct, ...patches: JsonPatch[]): void {
  const apiObject = ApiObject.of(scope);
  let list = rawPatches.get(apiObject);
  if (!list) {
    list = [];
    rawPatches.set(apiObject, list);
    const patchesOfObject = list;
    const render = apiObject.toJson.bind(apiObject);
    // An own property shadows the class's toJson for this one object; App.synth,
    // synthYaml and Testing.synth all render objects through it.
    Object.defineProperty(apiObject, 'toJson', {
      configurable: true,
      writable: true,
      value: () => {
        try {
          return JsonPatch.apply(render(), ...patchesOfObject);
        } catch (e) {
          throw new Error(`raw JSON patch of '${apiObject.node.path}' failed: ${(e as Error).message}`, { cause: e });
        }
      },
    });
  }
  list.push(...patches);
}

/**
 * The patches {@link addRawJsonPatch} applies to `apiObject`, or undefined when it has none
 * and its `toJson` is its class's own. Not part of the public API (see index.ts).
 */
export function rawJsonPatchesOf(apiObject: ApiObject): readonly JsonPatch[] | undefined {
  return rawPatches.get(apiObject);
}

/**
 * Turns an init container of `workload` into a Kubernetes native sidecar: writes its
 * `restartPolicy: Always`, so it starts before the following init containers and the
 * main containers, keeps running beside them, restarts when it exits, and stops after
 * them.
 *
 * **Needs Kubernetes 1.29+** (beta, on by default; 1.28 behind the `SidecarContainers`
 * feature gate). An older API server drops the field, and the container becomes a plain
 * init container that never finishes, so the pod never starts. The 1.27 schema of
 * `assertValidManifests` reports the field as unknown.
 *
 * @throws if `container` is not an init container of `workload`
 */
export function makeNativeSidecar(workload: kplus.AbstractPod, container: kplus.Container): void {
  if (!workload.initContainers.includes(container)) {
    throw new Error(`container '${container.name}' is not an init container of ${workload.node.path}`);
  }
  addRawJsonPatch(workload, outsideCheckedFields(JsonPatch.add(`${containerPointer(workload, container)}/restartPolicy`, 'Always')));
}
