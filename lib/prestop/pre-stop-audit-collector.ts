import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DEFAULT_RESOURCES, DEFAULT_SECURITY_PRESETS, defaultPullPolicy, metadataWithName } from '../core/defaults';
import { PropContext } from '../core/errors';
import { IMAGE_PINS } from '../core/images';
import { checkDnsLabel, checkDnsSubdomain, checkImage, checkLabels, checkResources } from '../core/prop-checks';
import { SecurityPreset } from '../core/security-preset';
import { checkEnvValues, checkMountPathFree, warnIfUnpinned } from '../blocks/httpd-container';
import { addStandardSynthChecks } from '../synth-checks/checks';
import { CLEANUP_KILL_AFTER_SECONDS, CollectorScript } from './collector-script';
import { FlagFileDirectory } from './flag-file-directory';

// The collector's scratch directory, an emptyDir: the root filesystem is read-only.
const COLLECTOR_TMP_PATH = '/tmp';

/** Properties of {@link PreStopAuditCollector}. */
export interface PreStopAuditCollectorProps {
  /**
   * The directory and flag-file format to process: the same object the audited pods use.
   * @default new FlagFileDirectory() (host `/var/lib/cdk8s-pod-lifecycle/flags`, mounted at `/preStopScriptOutput`)
   */
  readonly flagDirectory?: FlagFileDirectory;
  /**
   * The cleanup, in exec form, run once per flag file in the collector container with the
   * file's fields in `STOPPED_AT`, `POD_NAME`, `POD_NAMESPACE`, `POD_UID`, `NODE_NAME`,
   * `CONTAINER_NAME`, plus `FLAG_FILE` and `CLEANUP_ATTEMPT`. Exit 0 for success. It may run
   * again for a file it already handled (see the README), so it must be idempotent. Use
   * `['/bin/sh', '-c', script]` for a script; read the fields as `"$POD_NAME"`.
   */
  readonly cleanupCommand: readonly string[];
  /**
   * The pause between passes over the directory. Whole seconds.
   * @default Duration.seconds(5)
   */
  readonly pollInterval?: Duration;
  /**
   * Cleanup runs per file before it goes to `failed/`.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * The time limit of one cleanup run (then SIGTERM, and SIGKILL 5s later). The collector's
   * grace period is this plus 10s, so stopping the collector lets a running cleanup end
   * and its file move. Whole seconds.
   * @default Duration.seconds(60)
   */
  readonly cleanupTimeout?: Duration;
  /**
   * The image: it needs a POSIX `sh`, `flock`, `timeout`, `mv`, `mkdir`, `cat`, `sleep`,
   * and whatever the cleanup runs.
   * @default IMAGE_PINS.collector
   */
  readonly image?: string;
  /**
   * Image pull policy.
   * @default - `IfNotPresent` for a pinned tag or digest, `Always` for `latest` or no tag
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * The DaemonSet's `metadata.name`.
   * @default - a unique name generated from the construct path
   */
  readonly name?: string;
  /**
   * The container's name.
   * @default 'collector'
   */
  readonly containerName?: string;
  /**
   * Labels of the DaemonSet and its pods.
   * @default - none
   */
  readonly labels?: { readonly [key: string]: string };
  /**
   * Environment of the collector container, which the cleanup inherits.
   * @default - none
   */
  readonly envVariables?: { readonly [name: string]: kplus.EnvValue };
  /**
   * Compute resources of the collector container (the cleanup runs in it too).
   * @default DEFAULT_RESOURCES.collector
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * The taints the collector tolerates. Flag files are written on every node an audited
   * pod runs on, so by default it tolerates every taint and runs on every node.
   * @default [kplus.NodeTaintQuery.any()]
   */
  readonly tolerations?: readonly kplus.NodeTaintQuery[];
  /**
   * A service account, for a cleanup that calls the Kubernetes API; its token is mounted
   * only when one is given.
   * @default - none, and no token mounted
   */
  readonly serviceAccount?: kplus.IServiceAccount;
  /**
   * Security context of the pod and container. The collector moves root-owned files
   * inside a root-owned 0755 directory, so it runs as root, the directory's owner.
   * @default DEFAULT_SECURITY_PRESETS.collector: root with all capabilities dropped, read-only
   *   root filesystem, no privilege escalation, seccomp RuntimeDefault
   */
  readonly securityPreset?: SecurityPreset;
}

/**
 * One pod per node (a DaemonSet) that processes the flag files {@link PreStopAuditedPod}s
 * leave in the node directory of a {@link FlagFileDirectory}: every `pollInterval` it claims each
 * complete file, runs `cleanupCommand` with the file's fields in environment variables,
 * then moves the file to `processed/`, or to `failed/` after `maxAttempts` failed runs.
 *
 * Every flag file ends in `processed/` or `failed/` exactly once, across collector
 * restarts. The cleanup runs again for a file only when the collector is killed during a
 * cleanup run or between its success and the move: make it idempotent.
 *
 * The `hostPath` volume puts the pod at Pod Security level "privileged": its namespace
 * needs `pod-security.kubernetes.io/enforce: privileged`.
 */
export class PreStopAuditCollector extends Construct {
  /** The collector DaemonSet. */
  public readonly daemonSet: kplus.DaemonSet;
  /** The collector container. */
  public readonly container: kplus.Container;
  /** The directory and flag-file format it processes. */
  public readonly flagDirectory: FlagFileDirectory;
  /** The collector loop the container runs. */
  public readonly script: CollectorScript;

  /**
   * Adds the DaemonSet to `scope`. Bad props throw here, naming the construct path, the
   * prop, the value and the rule.
   * @param scope the chart or construct to add to
   * @param id the construct id; generated object names derive from its path
   * @param props the cleanup command, the flag-file directory to read and how to run the loop
   */
  public constructor(scope: Construct, id: string, props: PreStopAuditCollectorProps) {
    super(scope, id);
    this.flagDirectory = props.flagDirectory ?? new FlagFileDirectory();
    const checked = checkCollectorProps(PropContext.of(this), props, this.flagDirectory);
    this.script = checked.script;
    warnIfUnpinned(this, 'image', checked.image);
    this.daemonSet = new kplus.DaemonSet(this, 'DaemonSet', {
      metadata: metadataWithName(checked.name, checked.labels),
      podMetadata: { labels: checked.labels },
      serviceAccount: props.serviceAccount,
      automountServiceAccountToken: props.serviceAccount !== undefined,
      // The cleanup's limit, its SIGKILL delay, and time to move the file and exit.
      terminationGracePeriod: Duration.seconds(this.script.cleanupTimeoutSeconds + CLEANUP_KILL_AFTER_SECONDS + 5),
    });
    this.container = this.daemonSet.addContainer({
      name: checked.containerName,
      image: checked.image,
      imagePullPolicy: props.imagePullPolicy ?? defaultPullPolicy(checked.image),
      command: this.script.script.toCommand(),
      envVariables: props.envVariables,
      resources: checked.resources,
      volumeMounts: [
        // Read-write: the collector moves files out of the directory.
        { path: this.flagDirectory.mountPath, volume: this.flagDirectory.volume(this, 'FlagFileVolume') },
        // Scratch space for the cleanup; the root filesystem is read-only.
        { path: COLLECTOR_TMP_PATH, volume: kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp') },
      ],
    });
    const securityPreset = props.securityPreset ?? DEFAULT_SECURITY_PRESETS.collector;
    securityPreset.applyToContainer(this.daemonSet, this.container);
    securityPreset.applyToPod(this.daemonSet);
    const tolerations = props.tolerations ?? [kplus.NodeTaintQuery.any()];
    if (tolerations.length > 0) this.daemonSet.scheduling.tolerate(kplus.Node.tainted(...tolerations));
    // Patches can still change names, mounts, resources and commands: check the final manifest too.
    addStandardSynthChecks(this);
  }
}

/** The props of {@link PreStopAuditCollector}, checked. */
interface CheckedCollector {
  readonly name?: string;
  readonly containerName: string;
  readonly image: string;
  readonly labels: Record<string, string>;
  readonly script: CollectorScript;
  readonly resources: kplus.ContainerResources | undefined;
}

// Every prop check of PreStopAuditCollector, before anything is built.
function checkCollectorProps(ctx: PropContext, props: PreStopAuditCollectorProps, flagDirectory: FlagFileDirectory): CheckedCollector {
  const name = props.name === undefined ? undefined : checkDnsSubdomain(ctx, 'name', props.name);
  const containerName = checkDnsLabel(ctx, 'containerName', props.containerName ?? 'collector');
  const image = checkImage(ctx, 'image', props.image ?? IMAGE_PINS.collector);
  const labels = checkLabels(ctx, 'labels', props.labels ?? {});
  const script = flagDirectory.collectorScript(
    {
      cleanupCommand: props.cleanupCommand,
      pollInterval: props.pollInterval,
      maxAttempts: props.maxAttempts,
      cleanupTimeout: props.cleanupTimeout,
    },
    ctx,
  );
  checkMountPathFree(ctx, 'flagDirectory.mountPath', flagDirectory.mountPath, [
    { path: COLLECTOR_TMP_PATH, what: "the collector's scratch volume (an emptyDir for the cleanup)" },
  ]);
  checkEnvValues(ctx, 'envVariables', props.envVariables);
  const resources = checkResources(ctx, 'resources', props.resources ?? DEFAULT_RESOURCES.collector);
  return { name, containerName, image, labels, script, resources };
}
