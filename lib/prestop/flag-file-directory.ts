import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PropContext } from '../core/errors';
import {
  checkCommand,
  checkDnsLabel,
  checkEach,
  checkExecArgs,
  checkIntegerRange,
  checkUnicodeText,
  checkOwnDirectory,
  checkAbsolutePath,
  checkWholeSeconds,
} from '../core/prop-checks';
import { sharedFrozen } from '../core/script-cache';
import { MAX_PRE_STOP_DELAY_SECONDS } from '../blocks/drain-delay';
import { Warnings } from '../core/warnings';
import { buildCollectorScript, COLLECTOR_DIRS, CollectorScript, CollectorScriptOptions } from './collector-script';
import { buildPreStopFlagHook, PreStopFlagHook, PreStopFlagHookOptions } from './pre-stop-flag-hook';

/** Properties of a {@link FlagFileDirectory}. */
export interface FlagFileDirectoryProps {
  /**
   * The directory on each node that holds the flag files. The collector mounts all of it
   * (`DirectoryOrCreate`) and keeps its state beside `incoming/`, which it creates with mode
   * 1733. Audited pods mount only `incoming/`, as type `Directory`: on a node where the
   * collector has not made it yet, the kubelet holds them in `ContainerCreating`
   * (`FailedMount`) and retries, rather than starting a pod whose flag file could not be
   * written. The default is on disk
   * (`/var/lib` survives reboots; `/tmp` is a tmpfs on many nodes), in a parent directory of
   * this library's own. The tutorial's
   * `/tmp/ListOfDeletedPods` works too, and warns (`HOST_PATH_IN_TMP`).
   * @default '/var/lib/cdk8s-pod-lifecycle/flags'
   */
  readonly hostPath?: string;
  /**
   * Where `incoming/` is mounted in the audited containers, and where the whole directory is
   * mounted in the collector.
   * @default '/preStopScriptOutput'
   */
  readonly mountPath?: string;
  /**
   * The name of the volume in the pods.
   * @default 'list-of-deleted-pods'
   */
  readonly volumeName?: string;
}

/**
 * A node directory of preStop flag files, and the one definition of the flag-file format:
 * the audited pods write with {@link FlagFileDirectory.preStopHook}, the collector reads with
 * {@link FlagFileDirectory.collectorScript}. Give both the same `FlagFileDirectory` and they agree on the
 * host path, the mount path, the file names and the line format.
 *
 * A flag file is `<pod>.<uid>.<yyyymmddThhmmssZ>.<pid>.txt` (`unknown` for a missing pod
 * name or UID), written atomically (a hidden temporary name, then a rename). Its content:
 *
 * ```
 * format=cdk8s-pod-lifecycle/prestop-flag/v1
 * stopped_at=2019-03-12T09:15:35Z
 * pod=pod-httpd
 * namespace=default
 * uid=5f0c...
 * node=minikube
 * container=cntr-httpd
 *
 * the date is Tue Mar 12 09:15:35 UTC 2019
 * the pod pod-httpd has been terminated
 * <flagLines, if any>
 * ```
 *
 * The header ends at the first empty line; only the header is parsed.
 */
export class FlagFileDirectory {
  /** The node directory. */
  public readonly hostPath: string;
  /**
   * `<hostPath>/incoming`: the part an audited container mounts (at {@link mountPath}), as a
   * `hostPath` of type `Directory`. The collector makes it, mode 1733; until then a pod
   * mounting it waits in `ContainerCreating`.
   */
  public readonly incomingHostPath: string;
  /** The mount path in the containers. */
  public readonly mountPath: string;
  /** The volume's name in the pods. */
  public readonly volumeName: string;

  /**
   * Checks the props: absolute, normalized paths other than `/`, and a DNS-1123 volume name.
   * @param props where the flag files live; every prop is optional
   */
  public constructor(props: FlagFileDirectoryProps = {}) {
    const ctx = PropContext.named('FlagFileDirectory');
    this.hostPath = checkOwnDirectory(ctx, 'hostPath', props.hostPath ?? '/var/lib/cdk8s-pod-lifecycle/flags', 'the flag files');
    this.incomingHostPath = `${this.hostPath}/${COLLECTOR_DIRS.incoming}`;
    this.mountPath = checkOwnDirectory(ctx, 'mountPath', props.mountPath ?? '/preStopScriptOutput', 'the flag files');
    this.volumeName = checkDnsLabel(ctx, 'volumeName', props.volumeName ?? 'list-of-deleted-pods');
  }

  /**
   * A new `hostPath` volume (`DirectoryOrCreate`) for the whole directory, in `scope`: the
   * collector's. A host path under `/tmp` is warned about (code `HOST_PATH_IN_TMP`) on `scope`.
   */
  public volume(scope: Construct, id: string): kplus.Volume {
    return this.hostPathVolume(scope, id, this.hostPath);
  }

  /**
   * A new `hostPath` volume (`Directory`) for `incoming/` only, in `scope`: the one an
   * audited pod mounts, so it cannot reach the collector's state or lock. It must exist:
   * the kubelet holds the pod until the collector (or the node's provisioning) has made it,
   * writable for the pod's user (the kubelet would make a missing one root-owned 0755, and
   * a non-root pod's flag file would be lost at its stop). A host path under `/tmp` is
   * warned about (code `HOST_PATH_IN_TMP`) on `scope`.
   */
  public incomingVolume(scope: Construct, id: string): kplus.Volume {
    return this.hostPathVolume(scope, id, this.incomingHostPath, kplus.HostPathVolumeType.DIRECTORY);
  }

  private hostPathVolume(
    scope: Construct,
    id: string,
    path: string,
    type: kplus.HostPathVolumeType = kplus.HostPathVolumeType.DIRECTORY_OR_CREATE,
  ): kplus.Volume {
    if (this.hostPath === '/tmp' || this.hostPath.startsWith('/tmp/')) {
      Warnings.of(scope).add(
        'HOST_PATH_IN_TMP',
        `the flag files are kept in ${this.hostPath}: on nodes where /tmp is a tmpfs, files not yet collected are lost at a reboot; choose a directory on disk (the default, /var/lib/cdk8s-pod-lifecycle/flags)`,
      );
    }
    return kplus.Volume.fromHostPath(scope, id, this.volumeName, { path, type });
  }

  /**
   * The preStop hook that writes a flag file. The pod's name, namespace, UID and node come
   * from downward API environment variables (`envVariables`); a value that does not look
   * like a Kubernetes name is written empty (the collector then rejects the file), so no
   * value can add a line or leave the directory.
   *
   * @param ctx where errors are reported; constructs pass theirs
   */
  public preStopHook(
    options: PreStopFlagHookOptions,
    ctx: PropContext = PropContext.named('FlagFileDirectory.preStopHook'),
  ): PreStopFlagHook {
    // The checked options are both the cache key and the builder's arguments, in one list.
    const inputs = [
      checkDnsLabel(ctx, 'containerName', options.containerName),
      checkWholeSeconds(ctx, 'preStopDelay', options.preStopDelay ?? Duration.seconds(0), 0, MAX_PRE_STOP_DELAY_SECONDS),
      checkAbsolutePath(ctx, 'shell', options.shell ?? '/bin/sh'),
      checkEach(ctx, 'flagLines', options.flagLines ?? [], checkUnicodeText),
    ] as const;
    const hook = sharedFrozen(['preStop', this.mountPath, ...inputs], () => buildPreStopFlagHook(this.mountPath, ...inputs));
    checkExecArgs(ctx, 'flagLines', inputs[3], hook.script.toCommand(), 'write fewer or shorter flagLines');
    return hook;
  }

  /**
   * The collector loop: a POSIX `sh` script (busybox is enough) that, every `pollInterval`,
   * claims each complete flag file of `incoming/` by renaming it into `processing/` (in
   * batches of 64 files), reads at most its first 4096 bytes and
   * parses its header as data (no `eval`, no sourcing), runs the cleanup with the fields in
   * environment variables, and moves the file to `processed/`, or to `failed/` when it is not
   * a flag file or after `maxAttempts` failed runs. Attempt n of a file is marked, before
   * anything else is done with it, by `attempts/<n>/<file name>`. A problem with one file
   * fails that file and never the loop; a state directory replaced by something else is
   * moved aside and made again. On start it resumes what `processing/` holds. A lock
   * (`flock` on `<dir>/.collector.lock`) keeps a second collector on the node waiting until
   * the first exits. It keeps `incoming/` at mode 1733 (sticky, writable, not listable), so
   * audited pods need not run as root to write there.
   *
   * The environment variable `COLLECTOR_PASSES=<n>` makes the loop stop after n passes
   * (for a run by hand, and the tests).
   *
   * @param ctx where errors are reported; constructs pass theirs
   */
  public collectorScript(
    options: CollectorScriptOptions,
    ctx: PropContext = PropContext.named('FlagFileDirectory.collectorScript'),
  ): CollectorScript {
    const cleanup = checkCommand(ctx, 'cleanupCommand', options.cleanupCommand);
    const pollSeconds = checkWholeSeconds(ctx, 'pollInterval', options.pollInterval ?? Duration.seconds(5), 1, 3600);
    const maxAttempts = checkIntegerRange(ctx, 'maxAttempts', options.maxAttempts ?? 3, 1, 100);
    const cleanupTimeoutSeconds = checkWholeSeconds(ctx, 'cleanupTimeout', options.cleanupTimeout ?? Duration.seconds(60), 1, 86400);
    const collector = sharedFrozen(['collector', this.mountPath, cleanup, pollSeconds, maxAttempts, cleanupTimeoutSeconds], () =>
      buildCollectorScript(this.mountPath, cleanup, pollSeconds, maxAttempts, cleanupTimeoutSeconds),
    );
    checkExecArgs(
      ctx,
      'cleanupCommand',
      cleanup,
      collector.script.toCommand(),
      'put a long cleanup into a script file in the image (or a mounted ConfigMap) and run that',
    );
    return collector;
  }
}
