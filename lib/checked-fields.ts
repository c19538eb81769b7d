import { JsonPatch } from 'cdk8s';

// Marks the JSON patches this library writes that touch none of the fields the synth
// checks read (labels, namespaces, Service selectors, volumes, mounts, the grace period).
// While an object has only such patches, cdk8s-plus-27's model of it still holds the final
// value of those fields, so the checks read the model instead of rendering the object
// (synth-validations.ts). A symbol on the patch, not a WeakSet: cheaper to set and to test,
// and nothing for the garbage collector to track.
const OUTSIDE_CHECKED_FIELDS = Symbol('cdk8s-pod-lifecycle.outsideCheckedFields');

/** Records that `patch` touches none of the fields the synth checks read, and returns it. */
export function outsideCheckedFields(patch: JsonPatch): JsonPatch {
  (patch as unknown as Record<symbol, boolean>)[OUTSIDE_CHECKED_FIELDS] = true;
  return patch;
}

/** Whether `patch` was recorded with {@link outsideCheckedFields}. */
export function isOutsideCheckedFields(patch: unknown): boolean {
  return typeof patch === 'object' && patch !== null && (patch as Record<symbol, unknown>)[OUTSIDE_CHECKED_FIELDS] === true;
}
