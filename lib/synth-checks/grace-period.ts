import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { DEFAULT_GRACE_PERIOD_SECONDS, findPodTemplate } from '../core/pod-spec';
import { describeObject } from '../rules/rules';
import { objectRefOf } from '../rules/engine';
import { arr, obj, str } from '../rules/json';
import { addSynthCheck, problemsWithCode, renderedManifestOf } from './checks';

// The one rule that needs what only a construct knows: how long its preStop hook runs.

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
 * `requirement.seconds`, read from its final manifest. The grace period counts down from
 * the moment the pod is deleted, before the preStop hook starts; when it runs out the
 * kubelet kills the containers, hook or not. A construct with a preStop hook registers this
 * with {@link addSynthCheck} (code `grace-period-shorter-than-hook`), so a grace period
 * lowered later (by a prop, a JSON patch) still fails the synth.
 *
 * @param workload a Pod, a workload with a pod template, or any construct whose API object is one
 * @param requirement how long the hook needs and why
 * @returns one message per problem
 */
export function gracePeriodProblems(workload: IConstruct, requirement: GracePeriodRequirement): string[] {
  const object = ApiObject.of(workload);
  return problemsOf(object, object.toJson(), requirement);
}

/**
 * Registers on `scope` the synth check that the final grace period of `workload` covers
 * `requirement` (code `grace-period-shorter-than-hook`), reading the synth's own rendering.
 * @internal
 */
export function addGracePeriodCheck(scope: IConstruct, workload: IConstruct, requirement: GracePeriodRequirement): void {
  const object = ApiObject.of(workload);
  addSynthCheck(scope, () =>
    problemsWithCode('grace-period-shorter-than-hook', problemsOf(object, renderedManifestOf(object), requirement)),
  );
}

function problemsOf(object: ApiObject, manifest: unknown, requirement: GracePeriodRequirement): string[] {
  const template = findPodTemplate(manifest);
  if (!template) return [];
  const name = `${describeObject(objectRefOf(manifest))} (${object.node.path})`;
  const set = template.spec.terminationGracePeriodSeconds;
  const grace = typeof set === 'number' ? set : DEFAULT_GRACE_PERIOD_SECONDS;
  const problems: string[] = [];
  if (grace < requirement.seconds) problems.push(`${name}: terminationGracePeriodSeconds is ${grace}, but ${gracePeriodRule(requirement)}`);
  if (requirement.container === undefined) return problems;
  const containers = [...arr(template.spec.initContainers), ...arr(template.spec.containers)].map(obj);
  const container = containers.find((c) => str(c?.name) === requirement.container);
  for (const probe of ['livenessProbe', 'startupProbe']) {
    const own = obj(container?.[probe])?.terminationGracePeriodSeconds;
    if (typeof own === 'number' && own < requirement.seconds) {
      problems.push(
        `${name}: the ${probe} of container '${requirement.container}' has terminationGracePeriodSeconds ${own}, which replaces the pod's when the probe restarts the container, but ${gracePeriodRule(requirement)}`,
      );
    }
  }
  return problems;
}

/**
 * The grace-period rule as messages say it, after the grace period given: used by the
 * constructors' prop checks and the synth check alike.
 * @internal
 */
export function gracePeriodRule(requirement: GracePeriodRequirement): string {
  return `${requirement.reason} needs ${requirement.seconds}; the kubelet kills the containers when the grace period ends, even in the middle of the hook`;
}
