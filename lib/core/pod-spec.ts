import * as kplus from 'cdk8s-plus-27';

// Where the pod spec sits in each kind of workload, once: the patches that write into a
// workload's manifest and the rules that read produced objects both use these.

/** Where each kind of object keeps its pod spec, as JSON pointers into its manifest. */
export const POD_SPEC_POINTERS = {
  /** A Pod's own spec. */
  pod: '/spec',
  /** The pod template of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job (and custom resources that follow them). */
  template: '/spec/template/spec',
  /** The pod template of a CronJob's job template. */
  cronJob: '/spec/jobTemplate/spec/template/spec',
} as const;

/** JSON pointer to the pod spec inside a workload's manifest: `/spec` for a Pod, `/spec/template/spec` for a Deployment, StatefulSet, DaemonSet or Job, `/spec/jobTemplate/spec/template/spec` for a CronJob. */
export function podSpecPointer(workload: kplus.AbstractPod): string {
  if (workload instanceof kplus.Pod) return POD_SPEC_POINTERS.pod;
  if (workload instanceof kplus.CronJob) return POD_SPEC_POINTERS.cronJob;
  return POD_SPEC_POINTERS.template;
}

/**
 * The pod spec of a plain manifest (as the API server receives it) and its JSON pointer: a
 * Pod's `spec`, the `spec.template.spec` of a Deployment, StatefulSet, DaemonSet, ReplicaSet
 * or Job (and custom resources that follow them), a CronJob's job template's; undefined for
 * an object without one.
 * @internal
 */
export function podSpecOf(manifest: unknown): { readonly pointer: string; readonly spec: Record<string, unknown> } | undefined {
  const spec = field(manifest, 'spec');
  if (field(manifest, 'kind') === 'Pod') return isObject(spec) ? { pointer: POD_SPEC_POINTERS.pod, spec } : undefined;
  const template = field(field(spec, 'template'), 'spec');
  if (isObject(template)) return { pointer: POD_SPEC_POINTERS.template, spec: template };
  const job = field(field(field(field(spec, 'jobTemplate'), 'spec'), 'template'), 'spec');
  return isObject(job) ? { pointer: POD_SPEC_POINTERS.cronJob, spec: job } : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function field(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}
