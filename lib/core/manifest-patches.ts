import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { podSpecPointer } from './pod-spec';

// Escape hatches that write the synthesized manifest directly.

/**
 * JSON pointer to a container (or init container) inside a workload's manifest.
 *
 * @throws if the container does not belong to the workload.
 */
export function containerPointer(workload: kplus.AbstractPod, container: kplus.Container): string {
  const spec = podSpecPointer(workload);
  const index = workload.containers.indexOf(container);
  if (index >= 0) return `${spec}/containers/${index}`;
  const initIndex = workload.initContainers.indexOf(container);
  if (initIndex >= 0) return `${spec}/initContainers/${initIndex}`;
  throw new Error(`container '${container.name}' is not a container of ${workload.node.path}`);
}

/**
 * Sets `value` at `pointer` in the workload's manifest (a JSON patch `add`, which
 * replaces an existing member). For fields that the 1.27 schema knows but cdk8s-plus-27
 * cannot express, such as `capabilities.drop: [ALL]` or `seccompProfile`. A pointer whose
 * parent does not exist fails the synthesis, naming the object and the pointer.
 *
 * @returns the JSON patch it added
 */
export function setManifestField(workload: kplus.AbstractPod, pointer: string, value: unknown): JsonPatch {
  const apiObject = ApiObject.of(workload);
  patchesAppliedAfterRendering(apiObject);
  const patch = JsonPatch.add(pointer, value);
  apiObject.addJsonPatch(patch);
  // cdk8s keeps no public record of a patch's pointer: the library keeps its own, for the error.
  fieldsSet.set(apiObject, [...(fieldsSet.get(apiObject) ?? []), pointer]);
  return patch;
}

// The pointers setManifestField wrote into each object, named when its patches fail.
const fieldsSet = new WeakMap<ApiObject, readonly string[]>();

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
 * synthesis with the construct path and the patch in the message.
 *
 * @param scope an `ApiObject`, or a construct whose default child is one (any
 *   cdk8s-plus resource, e.g. a `Deployment`)
 * @example addRawJsonPatch(deployment, JsonPatch.add('/spec/template/spec/initContainers/1/restartPolicy', 'Always'))
 */
export function addRawJsonPatch(scope: IConstruct, ...patches: JsonPatch[]): void {
  patchesAppliedAfterRendering(ApiObject.of(scope)).push(...patches);
}

// The patches of each object, applied by its wrapped toJson in the order they were added.
const rawPatches = new WeakMap<ApiObject, JsonPatch[]>();

/**
 * The list of patches applied to what `apiObject` renders (empty at first). Its `toJson`
 * is wrapped once: it applies them, and a failing patch (its own or one of cdk8s's
 * `addJsonPatch`) is reported with the object's path and the patch.
 */
function patchesAppliedAfterRendering(apiObject: ApiObject): JsonPatch[] {
  let list = rawPatches.get(apiObject);
  if (list) return list;
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
      const rendered = kept.get(apiObject);
      if (rendered !== undefined) {
        kept.delete(apiObject);
        rendered.onTaken();
        return rendered.json;
      }
      let document: unknown;
      try {
        document = render();
      } catch (e) {
        // cdk8s applies addJsonPatch's patches (setManifestField's among them) while it renders.
        const set = fieldsSet.get(apiObject);
        const where = set ? ` (setManifestField wrote: ${set.map((p) => `add ${p}`).join(', ')})` : '';
        throw new Error(`JSON patch of '${apiObject.node.path}' failed${where}: ${(e as Error).message}; ${POINTER_RULE}`, { cause: e });
      }
      patchesOfObject.forEach((patch, i) => {
        try {
          document = JsonPatch.apply(document, patch);
        } catch (e) {
          const which = `raw JSON patch ${i + 1} of ${patchesOfObject.length}`;
          throw new Error(`${which} of '${apiObject.node.path}' failed: ${(e as Error).message}; ${POINTER_RULE}`, { cause: e });
        }
      });
      return document;
    },
  });
  return list;
}

// Renderings kept for the object's next toJson (see keepRendering).
const kept = new Map<ApiObject, { readonly json: unknown; readonly onTaken: () => void }>();

/**
 * Keeps `rendered`, what `apiObject.toJson()` has just returned, for the object's next
 * `toJson` call, which then returns it instead of rendering again (the object's toJson is
 * wrapped as {@link addRawJsonPatch} wraps it, with no patch of its own), and calls
 * `onTaken`. The synth checks render every object of the app, and synth renders it again
 * right after: this saves the second rendering. The checks drop what is kept
 * ({@link dropKeptRenderings}) as soon as it may be stale; at the latest, it is dropped when
 * the synchronous run ends (the next microtask).
 * @internal
 */
export function keepRendering(apiObject: ApiObject, rendered: unknown, onTaken: () => void): void {
  patchesAppliedAfterRendering(apiObject);
  if (kept.size === 0) queueMicrotask(dropKeptRenderings);
  kept.set(apiObject, { json: rendered, onTaken });
}

/**
 * Drops every rendering {@link keepRendering} kept: the next toJson of each object renders afresh.
 * @internal
 */
export function dropKeptRenderings(): void {
  kept.clear();
}

const POINTER_RULE = 'the pointer must name an existing object or array';

/**
 * Turns an init container of `workload` into a Kubernetes native sidecar: writes its
 * `restartPolicy: Always`, so it starts before the following init containers and the
 * main containers, keeps running beside them, restarts when it exits, and stops after
 * them.
 *
 * **Needs Kubernetes 1.29+** (beta, on by default; alpha in 1.28 behind the
 * `SidecarContainers` feature gate). A 1.27 or older API server rejects the unknown field
 * under strict field validation (kubectl's default) and drops it without; a 1.28 server
 * with the gate off drops it silently, and the container becomes a plain init container
 * that never finishes, so the pod never starts. The 1.27 schema of
 * `assertValidManifests` reports the field as unknown.
 *
 * @throws if `container` is not an init container of `workload`
 */
export function makeNativeSidecar(workload: kplus.AbstractPod, container: kplus.Container): void {
  if (!workload.initContainers.includes(container)) {
    throw new Error(`container '${container.name}' is not an init container of ${workload.node.path}`);
  }
  addRawJsonPatch(workload, JsonPatch.add(`${containerPointer(workload, container)}/restartPolicy`, 'Always'));
}
