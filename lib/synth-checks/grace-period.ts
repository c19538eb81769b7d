import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { describe, passCache, PassCache, podSpecOf, workloadModelOf } from './pass-cache';

/** What a preStop hook needs from the pod's grace period; see {@link gracePeriodProblems}. */
export interface GracePeriodRequirement {
  /** The least `terminationGracePeriodSeconds` that lets the hook finish. */
  readonly seconds: number;
  /** What needs the time, for the message, e.g. `the preStop hook (sleep 15 and upload)`. */
  readonly reason: string;
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
  const grace = gracePeriodOf(object, passCache());
  if (grace === undefined || grace >= requirement.seconds) return [];
  return [`${describe(object)}: terminationGracePeriodSeconds is ${grace}, but ${gracePeriodRule(requirement)}`];
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
