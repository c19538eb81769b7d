import { Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PropContext } from '../core/errors';
import { withContainerLog } from '../core/hook-log';
import { addRawJsonPatch, containerPointer } from '../core/manifest-patches';
import { DEFAULT_GRACE_PERIOD_SECONDS } from '../core/pod-spec';
import { checkWholeSeconds } from '../core/prop-checks';
import { sh, ShellScript } from '../core/shell';
import { Warnings } from '../core/warnings';
import { addStandardSynthChecks } from '../synth-checks/checks';
import { addGracePeriodCheck, gracePeriodRule, GracePeriodRequirement } from '../synth-checks/grace-period';

// A preStop delay before the container's stop signal, and the grace period it needs: one
// code path for the drain delay of the httpd constructs and PreStopAuditedPod's preStopDelay.

/**
 * What the grace period must leave after a preStop delay: the hook's own work, and the
 * container's shutdown once the kubelet sends the stop signal after the hook (httpd's
 * `SIGWINCH` lets in-flight requests finish).
 */
export const SHUTDOWN_MARGIN = Duration.seconds(5);

/**
 * The longest preStop delay the library writes: an hour, far above any drain.
 * @internal
 */
export const MAX_PRE_STOP_DELAY_SECONDS = 3600;

/** The drain props of the httpd constructs. */
export interface DrainOptions {
  /**
   * How long httpd keeps serving after its pod is marked for deletion, before it gets its
   * stop signal: a preStop hook that only waits. Endpoints are removed asynchronously
   * (the EndpointSlice controller, then kube-proxy and ingress controllers on every
   * node), so a pod stopped at once drops the requests still sent to it; a few seconds
   * cover that on most clusters. Whole seconds; `Duration.seconds(0)` turns it off (no
   * preStop hook). The grace period must cover it plus {@link SHUTDOWN_MARGIN}.
   * @default Duration.seconds(5)
   */
  readonly drainDelay?: Duration;
  /**
   * Wait with the kubelet's `sleep` lifecycle action instead of an exec `sleep`: needs no
   * `sleep` binary in the image, but **Kubernetes 1.29+** (feature gate
   * `PodLifecycleSleepAction`, on by default from 1.30, GA in 1.34). cdk8s-plus-27 cannot
   * express it, so it is written with {@link addRawJsonPatch}; the 1.27 schema of
   * `assertValidManifests` reports it as an unknown field, and it warns (`SLEEP_ACTION`).
   * @default false: an exec `sleep`, which the httpd image has
   */
  readonly drainWithSleepAction?: boolean;
  /**
   * The pod's `terminationGracePeriodSeconds`. The kubelet kills the containers when it
   * runs out, preStop hook or not, so it must cover `drainDelay` plus
   * {@link SHUTDOWN_MARGIN}. Whole seconds.
   * @default Duration.seconds(30)
   */
  readonly terminationGracePeriod?: Duration;
}

/** A checked drain delay, as plain data and as the handler cdk8s-plus-27 needs. */
export interface DrainDelay {
  /** The delay in seconds; 0 means no preStop hook. */
  readonly seconds: number;
  /** Whether the delay is the kubelet's `sleep` action (written by a raw patch) rather than an exec. */
  readonly sleepAction: boolean;
  /**
   * The exec command of the hook (`/bin/sh -c` running `sleep <seconds>`, its start and end
   * written to the container's log as `[drain-delay]` lines), for any cdk8s-plus version's
   * `Handler.fromCommand`.
   * @default - none: no delay, or the sleep action
   */
  readonly command?: readonly string[];
  /**
   * The cdk8s-plus-27 handler for `lifecycle.preStop`.
   * @default - none: no delay, or the sleep action
   */
  readonly handler?: kplus.Handler;
  /** The pod's grace period in seconds, checked to cover the delay. */
  readonly gracePeriodSeconds: number;
  /** What the grace period must cover. */
  readonly requirement: GracePeriodRequirement;
}

/**
 * Checks `requirement` against a grace period given as a prop, and returns it in seconds.
 * @param shortenProp the prop that makes the requirement, named in the error
 * @internal
 */
export function checkGracePeriod(
  ctx: PropContext,
  prop: string,
  gracePeriod: Duration | undefined,
  requirement: GracePeriodRequirement,
  shortenProp: string,
): number {
  const seconds = checkWholeSeconds(ctx, prop, gracePeriod ?? Duration.seconds(DEFAULT_GRACE_PERIOD_SECONDS), 1);
  if (seconds < requirement.seconds) {
    throw ctx.error(
      'GRACE_PERIOD',
      prop,
      seconds,
      `seconds is too short: ${gracePeriodRule(requirement)}; set ${prop} to at least ${requirement.seconds}s or shorten ${shortenProp}`,
    );
  }
  return seconds;
}

/**
 * Checks the drain props of a construct whose container `containerName` serves behind a
 * Service: the delay (whole seconds, at most an hour) and a grace period that covers it.
 * @internal
 */
export function checkDrainOptions(ctx: PropContext, containerName: string, options: DrainOptions): DrainDelay {
  // Most constructs take the defaults: one frozen result per container name, shared (a Handler is immutable).
  const byDefault = options.drainDelay === undefined && options.terminationGracePeriod === undefined && !options.drainWithSleepAction;
  const known = byDefault ? DEFAULT_DRAINS.get(containerName) : undefined;
  if (known) return known;
  const drain = drainOf(ctx, containerName, options);
  if (byDefault) DEFAULT_DRAINS.set(containerName, Object.freeze(drain));
  return drain;
}

const DEFAULT_DRAINS = new Map<string, DrainDelay>();

function drainOf(ctx: PropContext, containerName: string, options: DrainOptions): DrainDelay {
  const seconds = checkWholeSeconds(ctx, 'drainDelay', options.drainDelay ?? Duration.seconds(5), 0, MAX_PRE_STOP_DELAY_SECONDS);
  const margin = SHUTDOWN_MARGIN.toSeconds();
  const requirement: GracePeriodRequirement = {
    seconds: seconds + margin,
    reason: `the preStop drain delay (drainDelay ${seconds}s, then ${margin}s for httpd to finish its requests and stop)`,
    container: containerName,
  };
  const gracePeriodSeconds = checkGracePeriod(ctx, 'terminationGracePeriod', options.terminationGracePeriod, requirement, 'drainDelay');
  const sleepAction = seconds > 0 && (options.drainWithSleepAction ?? false);
  const command = seconds > 0 && !sleepAction ? drainCommand(seconds) : undefined;
  return {
    seconds,
    sleepAction,
    command,
    handler: command && kplus.Handler.fromCommand([...command]),
    gracePeriodSeconds,
    requirement,
  };
}

/** Options for {@link drainDelay}. */
export interface DrainDelayOptions extends DrainOptions {
  /**
   * The container that drains, named in the grace-period checks.
   * @default 'httpd'
   */
  readonly containerName?: string;
}

// The exec drain: a sleep whose start and end show in `kubectl logs` (the kubelet's sleep
// action prints nothing anywhere).
function drainCommand(seconds: number): readonly string[] {
  return Object.freeze(withContainerLog('drain-delay', new ShellScript().add(sh`sleep ${seconds}`)).toCommand());
}

/**
 * Checks a drain delay and the grace period that must cover it, and returns it as plain
 * data and as a cdk8s-plus-27 handler for `lifecycle.preStop`; {@link applyDrainDelay}
 * then adds it to a workload. Bad options throw a {@link PropError}.
 */
export function drainDelay(options: DrainDelayOptions = {}): DrainDelay {
  return checkDrainOptions(PropContext.named('drainDelay'), options.containerName ?? 'httpd', options);
}

/** Options for {@link applyDrainDelay}. */
export interface ApplyDrainDelayOptions {
  /** The workload whose container drains; its grace period is checked at synth. */
  readonly workload: kplus.AbstractPod;
  /** The container whose preStop holds the delay. */
  readonly container: kplus.Container;
  /** The delay, from {@link drainDelay}. */
  readonly drain: DrainDelay;
  /**
   * Whether the container already has a `lifecycle` (a postStart hook), so a sleep action
   * is added to it rather than written as the whole `lifecycle`.
   * @default false
   */
  readonly containerHasLifecycle?: boolean;
}

/**
 * Writes the kubelet's `sleep` action of a drain delay into the container's preStop (a raw
 * JSON patch, which reaches the YAML), when it is one, and registers the synth checks of a
 * preStop delay on `scope`: the grace period covers it (`grace-period-shorter-than-hook`) and
 * no sleep action outlasts the grace period (rule `sleep-exceeds-grace-period`).
 */
export function applyDrainDelay(scope: Construct, options: ApplyDrainDelayOptions): void {
  const { workload, drain } = options;
  if (drain.sleepAction) {
    Warnings.of(scope).add(
      'SLEEP_ACTION',
      'drainWithSleepAction writes a preStop sleep action, which needs Kubernetes 1.29+ (PodLifecycleSleepAction, on by default from 1.30, GA in 1.34): an older API server rejects or drops the field, and the pod then stops without draining',
    );
    const pointer = `${containerPointer(workload, options.container)}/lifecycle`;
    const sleep = { sleep: { seconds: drain.seconds } };
    addRawJsonPatch(
      workload,
      options.containerHasLifecycle ? JsonPatch.add(`${pointer}/preStop`, sleep) : JsonPatch.add(pointer, { preStop: sleep }),
    );
  }
  if (drain.seconds > 0) addPreStopDelayChecks(scope, workload, drain.requirement, drain.sleepAction);
}

/**
 * Registers on `scope` the synth checks of a preStop delay in `workload`: the final grace
 * period covers `requirement` and, with `sleepAction`, no `sleep` action sleeps longer than
 * it (rule `sleep-exceeds-grace-period` of the standard checks).
 * @internal
 */
export function addPreStopDelayChecks(
  scope: Construct,
  workload: kplus.AbstractPod,
  requirement: GracePeriodRequirement,
  sleepAction: boolean,
): void {
  addGracePeriodCheck(scope, workload, requirement);
  if (sleepAction) addStandardSynthChecks(scope);
}
