import { JsonPatch } from 'cdk8s';

// The JSON patches this library writes that touch none of the fields the synth checks read
// (labels, namespaces, Service selectors, volumes, mounts, the grace period). While an
// object has only such patches, cdk8s-plus-27's model of it still holds the final value of
// those fields, so the checks read the model instead of rendering the object
// (synth-validations.ts).
const patchesOutsideCheckedFields = new WeakSet<JsonPatch>();

/** Records that `patch` touches none of the fields the synth checks read, and returns it. */
export function outsideCheckedFields(patch: JsonPatch): JsonPatch {
  patchesOutsideCheckedFields.add(patch);
  return patch;
}

/** Whether `patch` was recorded with {@link outsideCheckedFields}. */
export function isOutsideCheckedFields(patch: unknown): boolean {
  return patch instanceof JsonPatch && patchesOutsideCheckedFields.has(patch);
}
