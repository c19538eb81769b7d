import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { describe, Manifest, passCache, PassCache, podSpecOf, workloadModelOf } from './pass-cache';

/** What a preStop hook needs from the pod's grace period; see {@link gracePeriodProblems}. */
export interface GracePeriodRequirement {
  /** The least `terminationGracePeriodSeconds` that lets the hook finish. */
  readonly seconds: number;
  /** What needs the time, for the message, e.g. `the preStop hook (sleep 15 and upload)`. */
  readonly reason: string;
  /**
   * The container whose hook needs the time. A liveness or startup probe of that container
   * may carry its own `terminationGracePeriodSeconds`, which replaces the pod's when that
   * probe restarts the container: those are checked too.
   * @default - only the pod's grace period is checked
   */
  readonly container?: string;
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
  const cache = passCache();
  const grace = gracePeriodOf(object, cache);
  const problems: string[] = [];
  if (grace !== undefined && grace < requirement.seconds) {
    problems.push(`${describe(object)}: terminationGracePeriodSeconds is ${grace}, but ${gracePeriodRule(requirement)}`);
  }
  // cdk8s-plus-27 cannot write a probe's own grace period: only a patched or hand-written
  // object (which is rendered) can have one.
  if (requirement.container !== undefined && !workloadModelOf(object)) {
    const container = containersOf(cache.render(object)).find((c) => c.name === requirement.container);
    for (const probe of ['livenessProbe', 'startupProbe']) {
      const own = container?.[probe]?.terminationGracePeriodSeconds;
      if (typeof own === 'number' && own < requirement.seconds) {
        problems.push(
          `${describe(object)}: the ${probe} of container '${requirement.container}' has terminationGracePeriodSeconds ${own}, which replaces the pod's when the probe restarts the container, but ${gracePeriodRule(requirement)}`,
        );
      }
    }
  }
  return problems;
}

/**
 * Problems of `sleep` lifecycle actions (Kubernetes 1.29+, written with {@link addRawJsonPatch})
 * that sleep longer than the pod's `terminationGracePeriodSeconds`: the API server rejects
 * such a pod (`sleep.seconds` must not exceed the grace period). Reads the final manifest.
 *
 * @param workload a Pod, a workload with a pod template, or any construct whose API object is one
 * @returns one message per action that is too long
 */
export function sleepActionProblems(workload: IConstruct): string[] {
  const object = ApiObject.of(workload);
  const found = podSpecOf(passCache().render(object));
  if (!found) return [];
  const grace = (found.spec.terminationGracePeriodSeconds as number | undefined) ?? DEFAULT_GRACE_PERIOD_SECONDS;
  const problems: string[] = [];
  for (const container of containersOf(found.spec)) {
    for (const hook of ['postStart', 'preStop']) {
      const seconds = container.lifecycle?.[hook]?.sleep?.seconds;
      if (typeof seconds === 'number' && seconds > grace) {
        problems.push(
          `${describe(object)}: the ${hook} sleep action of container '${container.name}' sleeps ${seconds}s, longer than terminationGracePeriodSeconds ${grace}: the API server rejects the pod (sleep.seconds must not exceed the grace period)`,
        );
      }
    }
  }
  return problems;
}

/** The containers and init containers of a pod spec, or of the pod spec of a manifest. */
function containersOf(specOrManifest: Manifest): Manifest[] {
  const spec = Array.isArray(specOrManifest?.containers) ? specOrManifest : podSpecOf(specOrManifest)?.spec;
  return [...((spec?.initContainers ?? []) as Manifest[]), ...((spec?.containers ?? []) as Manifest[])];
}

/**
 * The grace-period rule as messages say it, after the grace period given: used by the
 * constructors' prop checks and the synth check alike.
 */
export function gracePeriodRule(requirement: GracePeriodRequirement): string {
  return `${requirement.reason} needs ${requirement.seconds}; the kubelet kills the containers when the grace period ends, even in the middle of the hook`;
}

/** The object's grace period in seconds (Kubernetes' default when not set), undefined without a pod spec. */
function gracePeriodOf(object: ApiObject, cache: PassCache): number | undefined {
  const owner = workloadModelOf(object);
  if (owner) return owner.terminationGracePeriod?.toSeconds() ?? DEFAULT_GRACE_PERIOD_SECONDS;
  const found = podSpecOf(cache.render(object));
  return found && ((found.spec.terminationGracePeriodSeconds as number | undefined) ?? DEFAULT_GRACE_PERIOD_SECONDS);
}

/** Kubernetes' default `terminationGracePeriodSeconds`. */
const DEFAULT_GRACE_PERIOD_SECONDS = 30;
