import * as kplus from 'cdk8s-plus-27';

// Where the pod spec sits in each kind of workload, and the pod spec defaults, once: the
// patches that write into a workload's manifest and the rules that read produced objects
// both use these.

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

/** The grace period the API server sets when `terminationGracePeriodSeconds` is left out, in seconds. */
export const DEFAULT_GRACE_PERIOD_SECONDS = 30;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

// The templates' pointers: POD_SPEC_POINTERS without the template's own `/spec`.
const TEMPLATE = POD_SPEC_POINTERS.template.slice(0, -'/spec'.length);
const CRON_JOB_TEMPLATE = POD_SPEC_POINTERS.cronJob.slice(0, -'/spec'.length);

/** Where a manifest keeps its pod template (or, for a Pod, itself). */
export interface PodTemplateLocation {
  /**
   * JSON pointer to the template: `''` for a Pod, `/spec/template` for workloads,
   * `/spec/jobTemplate/spec/template` for a CronJob, `/template` for a PodTemplate.
   */
  readonly path: string;
  /** The template's (or Pod's) metadata, or undefined. */
  readonly metadata: Obj | undefined;
  /** The pod spec. */
  readonly spec: Obj;
}

/**
 * The pod template of a plain manifest: a Pod's own spec, `spec.template` of a Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job, ReplicationController or a custom resource that
 * follows them (an Argo Rollout), `spec.jobTemplate.spec.template` of a CronJob, and
 * `template` of a PodTemplate. Undefined when there is none (a template counts when its
 * spec has `containers` or `initContainers`).
 */
export function findPodTemplate(manifest: unknown): PodTemplateLocation | undefined {
  const m = obj(manifest);
  if (!m) return undefined;
  const kind = m.kind;
  const spec = obj(m.spec);
  if (kind === 'Pod') return spec ? { path: '', metadata: obj(m.metadata), spec } : undefined;
  const candidates: [string, unknown][] = [
    [TEMPLATE, spec?.template],
    [CRON_JOB_TEMPLATE, obj(obj(spec?.jobTemplate)?.spec)?.template],
    ['/template', kind === 'PodTemplate' ? m.template : undefined],
  ];
  for (const [path, template] of candidates) {
    const t = obj(template);
    const podSpec = obj(t?.spec);
    if (t && podSpec && (Array.isArray(podSpec.containers) || Array.isArray(podSpec.initContainers))) {
      return { path, metadata: obj(t.metadata), spec: podSpec };
    }
  }
  return undefined;
}
