import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DEFAULT_SECURITY_PRESETS, metadataWithName } from '../core/defaults';
import { PropContext } from '../core/errors';
import { HTTPD } from '../core/images';
import { checkDnsSubdomain, checkLabels } from '../core/prop-checks';
import { SecurityPreset } from '../core/security-preset';
import { addPreStopDelayChecks, checkGracePeriod, SHUTDOWN_MARGIN } from '../blocks/drain-delay';
import {
  buildHttpdContainer,
  CheckedHttpdContainer,
  checkHttpdContainerOptions,
  checkMountPathFree,
  checkVolumeNameFree,
  HTTPD_VOLUMES,
  HttpdPodOptions,
  httpdReadinessProbe,
} from '../blocks/httpd-container';
import { buildHttpService, CheckedHttpService, checkHttpServiceOptions, HttpServiceOptions } from '../blocks/http-service';
import {
  PageContentFrom,
  POST_START_PAGE_SOURCE,
  postStartPageHook,
  postStartPageMount,
  postStartPageUrlPath,
} from '../blocks/post-start-page';
import { WriteFileHook } from '../blocks/write-file-hook';
import { addStandardSynthChecks } from '../synth-checks/checks';
import { GracePeriodRequirement } from '../synth-checks/grace-period';
import { FlagFileDirectory } from './flag-file-directory';
import { PreStopFlagHook } from './pre-stop-flag-hook';

/**
 * What the grace period must leave after the preStop delay: the write itself, and the
 * container's own shutdown once the kubelet sends the stop signal after the hook. The
 * same margin as every preStop delay of the library ({@link SHUTDOWN_MARGIN}).
 */
export const PRE_STOP_WRITE_MARGIN: Duration = SHUTDOWN_MARGIN;

/** Properties of {@link PreStopAuditedPod}. */
export interface PreStopAuditedPodProps extends HttpdPodOptions, HttpServiceOptions {
  /**
   * Where the preStop hook writes its flag file, and in what format. Give the collector
   * the same object.
   * @default new FlagFileDirectory() (host `/var/lib/cdk8s-pod-lifecycle/flags`, mounted at `/preStopScriptOutput`)
   */
  readonly flagDirectory?: FlagFileDirectory;
  /**
   * Security context of the pod and container. The hook writes into the flag directory's
   * `incoming/`, which the collector keeps at mode 1733 (writable by every user), so httpd
   * runs without root, as {@link HttpdWithPostStart} does. An audited pod stopped on a node
   * before the collector ever ran there finds `incoming/` root-owned 0755 and writes no
   * flag file.
   * @default DEFAULT_SECURITY_PRESETS.httpd: Pod Security "restricted", user and group 10001
   */
  readonly securityPreset?: SecurityPreset;
  /**
   * How long the preStop hook sleeps before writing the flag file (a graceful-shutdown
   * delay, e.g. for Service endpoints to drain). Whole seconds.
   * @default Duration.seconds(0)
   */
  readonly preStopDelay?: Duration;
  /**
   * The pod's `terminationGracePeriodSeconds`. The kubelet kills the container when it runs
   * out, preStop hook or not, so it must cover `preStopDelay` plus
   * {@link PRE_STOP_WRITE_MARGIN}. Whole seconds.
   * @default Duration.seconds(30)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * More lines for the flag file, after its header and its two human-readable lines. Written
   * literally; never parsed by the collector.
   * @default - none
   */
  readonly flagLines?: readonly string[];
  /**
   * Add a postStart hook that writes a page into htdocs, as {@link HttpdWithPostStart} does.
   * @default true
   */
  readonly postStart?: boolean;
  /**
   * Take the postStart page from a ConfigMap key instead of `postStartContent`, as
   * `contentFrom` of {@link HttpdWithPostStart} does: for pages larger than the hook's script
   * can hold (about 128 KiB).
   * @default - the page is `postStartContent`
   */
  readonly postStartContentFrom?: PageContentFrom;
  /**
   * The page the postStart hook writes after its `the date is: <date>` line: a string is
   * written exactly, lines are each followed by a newline.
   * @default DEFAULT_POST_START_CONTENT
   */
  readonly postStartContent?: string | readonly string[];
  /**
   * The shell that runs both hooks.
   * @default '/bin/sh'
   */
  readonly shell?: string;
}

/**
 * An `httpd` Pod whose preStop hook drops a flag file into a node directory (a `hostPath`
 * volume), with a postStart page and a NodePort Service. A {@link PreStopAuditCollector}
 * given the same {@link FlagFileDirectory} processes the files on every node.
 *
 * A flag file records that the container was stopped, not why: preStop also runs when a
 * liveness probe restarts the container, and may run more than once. Each run writes its
 * own file (pod UID, time and PID in the name).
 *
 * The `hostPath` volume puts the pod at Pod Security level "privileged": its namespace
 * needs `pod-security.kubernetes.io/enforce: privileged`.
 */
export class PreStopAuditedPod extends Construct {
  /** The Pod running httpd. */
  public readonly pod: kplus.Pod;
  /** The Service exposing the Pod's port 80. */
  public readonly service: kplus.Service;
  /** The httpd container, with the preStop hook. */
  public readonly container: kplus.Container;
  /** The flag-file directory and format, shared with the collector. */
  public readonly flagDirectory: FlagFileDirectory;
  /** The preStop hook that writes the flag file. */
  public readonly preStopHook: PreStopFlagHook;
  /** The postStart hook that writes the page, unless `postStart` is false. */
  public readonly postStartHook?: WriteFileHook;

  /**
   * Adds the Pod and the Service to `scope`. Bad props throw here, naming the construct
   * path, the prop, the value and the rule.
   * @param scope the chart or construct to add to
   * @param id the construct id; generated object names derive from its path
   * @param props the hook, the pod and the Service; every prop is optional
   */
  public constructor(scope: Construct, id: string, props: PreStopAuditedPodProps = {}) {
    super(scope, id);
    this.flagDirectory = props.flagDirectory ?? new FlagFileDirectory();
    // The mounts are props of the container (their paths and names must be free).
    const mounts: kplus.VolumeMount[] = [
      { path: this.flagDirectory.mountPath, volume: this.flagDirectory.incomingVolume(this, 'FlagFileVolume') },
    ];
    const pageMount = (props.postStart ?? true) ? postStartPageMount(this, props.postStartContentFrom) : undefined;
    if (pageMount) mounts.push(pageMount);
    const checked = checkPreStopAuditedPodProps(PropContext.of(this), props, this.flagDirectory, mounts);
    this.preStopHook = checked.preStopHook;
    this.postStartHook = checked.postStartHook;
    this.pod = new kplus.Pod(this, 'Pod', {
      metadata: metadataWithName(checked.podName, checked.labels),
      terminationGracePeriod: Duration.seconds(checked.graceSeconds),
    });
    this.container = buildHttpdContainer(this, this.pod, checked.httpd).container;
    this.service = buildHttpService(this, this.pod, HTTPD.port, checked.service, checked.labels);
    // Patches and escape hatches can still change the grace period, mounts and labels:
    // check the final manifest too when the app is synthesized.
    addStandardSynthChecks(this);
    addPreStopDelayChecks(this, this.pod, checked.requirement, false);
  }
}

/** The props of {@link PreStopAuditedPod}, checked. */
interface CheckedPreStopAuditedPod {
  readonly podName?: string;
  readonly labels: Record<string, string>;
  readonly preStopHook: PreStopFlagHook;
  readonly postStartHook?: WriteFileHook;
  readonly requirement: GracePeriodRequirement;
  readonly graceSeconds: number;
  readonly httpd: CheckedHttpdContainer;
  readonly service: CheckedHttpService;
}

// Every prop check of PreStopAuditedPod, before anything is built.
function checkPreStopAuditedPodProps(
  ctx: PropContext,
  props: PreStopAuditedPodProps,
  flagDirectory: FlagFileDirectory,
  volumeMounts: kplus.VolumeMount[],
): CheckedPreStopAuditedPod {
  const podName = props.podName === undefined ? undefined : checkDnsSubdomain(ctx, 'podName', props.podName);
  const labels = checkLabels(ctx, 'labels', props.labels ?? {});
  const containerName = props.containerName ?? 'httpd';
  checkFlagDirectoryFree(ctx, flagDirectory, (props.postStart ?? true) && props.postStartContentFrom !== undefined);
  const preStopHook = flagDirectory.preStopHook(
    { containerName, preStopDelay: props.preStopDelay, flagLines: props.flagLines, shell: props.shell },
    ctx,
  );
  const margin = PRE_STOP_WRITE_MARGIN.toSeconds();
  const requirement: GracePeriodRequirement = {
    seconds: preStopHook.delaySeconds + margin,
    reason: `the preStop hook (preStopDelay ${preStopHook.delaySeconds}s, then ${margin}s to write the flag file and stop the container)`,
    container: containerName,
  };
  const graceSeconds = checkGracePeriod(ctx, 'terminationGracePeriod', props.terminationGracePeriod, requirement, 'preStopDelay');
  const postStartHook =
    (props.postStart ?? true)
      ? postStartPageHook(ctx, {
          htdocsPath: HTTPD.htdocsPath,
          content: props.postStartContent,
          contentFrom: props.postStartContentFrom,
          shell: props.shell,
        })
      : undefined;
  const httpd = checkHttpdContainerOptions(ctx, {
    image: props.image,
    name: containerName,
    resources: props.resources,
    imagePullPolicy: props.imagePullPolicy,
    securityPreset: props.securityPreset ?? DEFAULT_SECURITY_PRESETS.httpd,
    lifecycle: { postStart: postStartHook?.handler, preStop: preStopHook.handler },
    envVariables: { ...preStopHook.envVariables },
    // Ready once the postStart hook wrote its page; without it, the (empty) document root.
    readiness: props.readiness ?? httpdReadinessProbe(postStartHook ? postStartPageUrlPath(HTTPD.htdocsPath) : '/'),
    liveness: props.liveness,
    startup: props.startup,
    volumeMounts,
  });
  const service = checkHttpServiceOptions(ctx, props);
  return { podName, labels, preStopHook, postStartHook, requirement, graceSeconds, httpd, service };
}

// The flag directory's volume name and mount path must be free in the httpd container.
function checkFlagDirectoryFree(ctx: PropContext, flagDirectory: FlagFileDirectory, pageSource: boolean): void {
  checkVolumeNameFree(ctx, 'flagDirectory.volumeName', flagDirectory.volumeName, [
    ...Object.values(HTTPD_VOLUMES),
    ...(pageSource ? [POST_START_PAGE_SOURCE.volumeName] : []),
  ]);
  checkMountPathFree(ctx, 'flagDirectory.mountPath', flagDirectory.mountPath, [
    { path: HTTPD.htdocsPath, what: 'the htdocs volume' },
    { path: HTTPD.logsPath, what: "httpd's logs volume" },
    ...(pageSource ? [{ path: POST_START_PAGE_SOURCE.mountPath, what: "the postStart page's ConfigMap" }] : []),
  ]);
}
