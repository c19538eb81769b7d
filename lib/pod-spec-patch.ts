import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';

/**
 * JSON pointer to the pod spec inside a workload's manifest: `/spec` for a Pod,
 * `/spec/jobTemplate/spec/template/spec` for a CronJob, `/spec/template/spec` otherwise.
 */
export function podSpecPointer(workload: kplus.AbstractPod): string {
  if (workload instanceof kplus.Pod) return '/spec';
  if (workload instanceof kplus.CronJob) return '/spec/jobTemplate/spec/template/spec';
  return '/spec/template/spec';
}

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
 * cannot express, such as `capabilities.drop: [ALL]` or `seccompProfile`.
 *
 * @returns the JSON patch it added
 */
export function setManifestField(workload: kplus.AbstractPod, pointer: string, value: unknown): JsonPatch {
  const patch = JsonPatch.add(pointer, value);
  ApiObject.of(workload).addJsonPatch(patch);
  return patch;
}
