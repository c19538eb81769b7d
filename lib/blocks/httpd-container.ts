import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DEFAULT_RESOURCES, DEFAULT_SECURITY_PRESETS, defaultPullPolicy } from '../core/defaults';
import { PropContext } from '../core/errors';
import { HTTPD } from '../core/images';
import {
  checkAbsolutePath,
  checkDnsLabel,
  checkEach,
  checkImage,
  checkManifestText,
  checkResources,
  isPinnedImage,
} from '../core/prop-checks';
import { SecurityPreset } from '../core/security-preset';
import { Warnings } from '../core/warnings';

/** The names of the volumes {@link addHttpdContainer} adds to the pod. */
export const HTTPD_VOLUMES = {
  /** The document root, unless the caller gives its own volume. */
  htdocs: 'htdocs',
  /** `logs/`, where httpd writes `httpd.pid`: the root filesystem is read-only. */
  logs: 'httpd-logs',
} as const;

/**
 * Throws unless `volumeName` is free in a pod whose httpd container already mounts the
 * volumes named `taken`: two volumes of one name make the API server reject the pod.
 */
export function checkVolumeNameFree(ctx: PropContext, prop: string, volumeName: string, taken: readonly string[]): string {
  if (taken.includes(volumeName)) {
    throw ctx.error(
      'NAME_CLASH',
      prop,
      volumeName,
      `is the name of a volume the pod already has (${taken.join(', ')}): give it another name`,
    );
  }
  return volumeName;
}

/**
 * A path a container already mounts a volume at, and what for (for the message).
 * @internal
 */
export interface TakenMountPath {
  /** The mount path. */
  readonly path: string;
  /** What is mounted there, e.g. `httpd's logs volume`. */
  readonly what: string;
}

/**
 * Throws unless no volume of the container is mounted at `path` yet: the API server refuses
 * a container with two mounts at one path (`must be unique`).
 * @internal
 */
export function checkMountPathFree(ctx: PropContext, prop: string, path: string, taken: readonly TakenMountPath[]): string {
  const clash = taken.find((mount) => mount.path === path);
  if (clash) {
    throw ctx.error(
      'MOUNT_PATH',
      prop,
      path,
      `is where ${clash.what} is mounted in the same container: the API server refuses two volumes at one path; choose another path`,
    );
  }
  return path;
}

/**
 * Checks the literal values of environment variables, which the manifest holds as they are
 * (see {@link checkManifestText}); values taken from fields, Secrets or ConfigMaps are not text.
 * @internal
 */
export function checkEnvValues(ctx: PropContext, prop: string, env: { readonly [name: string]: kplus.EnvValue } | undefined): void {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (typeof value.value === 'string') checkManifestText(ctx, `${prop}[${JSON.stringify(name)}]`, value.value);
  }
}

/**
 * Warns (code `UNPINNED_IMAGE`) on `scope` when `image` names no fixed version.
 * @param prop the prop that named the image
 */
export function warnIfUnpinned(scope: Construct, prop: string, image: string): void {
  if (isPinnedImage(image)) return;
  Warnings.of(scope).add(
    'UNPINNED_IMAGE',
    `${prop} ${JSON.stringify(image)} names no fixed version: it is pulled on every start (imagePullPolicy Always) and may change between restarts; pin a tag or a digest`,
  );
}

/**
 * The readiness probe the constructs give httpd: an HTTP GET of `path` on port 80, every 5
 * seconds (2 s timeout), not ready after 3 failures in a row. httpd answers a path it
 * serves with 200 (a page, or the stock config's directory listing) and a missing one with
 * 404, so the pod is ready exactly when `path` is served: the postStart page once the hook
 * wrote it, a git site once its symlinked tree resolves.
 * @param path the URL path, percent-encoded
 */
export function httpdReadinessProbe(path = '/'): kplus.Probe {
  return kplus.Probe.fromHttpGet(path, {
    port: HTTPD.port,
    periodSeconds: Duration.seconds(5),
    timeoutSeconds: Duration.seconds(2),
    failureThreshold: 3,
  });
}

// One liveness probe for every httpd container: cdk8s-plus only reads it when rendering.
const HTTPD_LIVENESS = kplus.Probe.fromTcpSocket({
  port: HTTPD.port,
  periodSeconds: Duration.seconds(20),
  timeoutSeconds: Duration.seconds(5),
  failureThreshold: 6,
});

/**
 * The liveness probe the constructs give httpd: a TCP connect to port 80 every 20 seconds
 * (5 s timeout), restarted after 6 failures in a row, so two minutes without a listener.
 * TCP rather than HTTP: the kernel completes the handshake from httpd's listen backlog
 * even while every worker is busy, so a slow but healthy server is never restarted (an
 * HTTP probe with a timeout would restart it at the moment it is most loaded, and its
 * restart would drop every request in flight); what it catches is an httpd that no
 * longer listens but did not exit (an exit restarts the container anyway). It differs
 * from the readiness probe, as kube-score's `pod-probes` asks.
 */
export function httpdLivenessProbe(): kplus.Probe {
  return HTTPD_LIVENESS;
}

/** The probe props of the httpd container. */
export interface HttpdProbeOptions {
  /**
   * The readiness probe of httpd; `false` for none.
   * @default - an HTTP GET on port 80 of what the construct serves ({@link httpdReadinessProbe})
   */
  readonly readiness?: kplus.Probe | false;
  /**
   * The liveness probe of httpd; `false` for none.
   * @default httpdLivenessProbe(): a TCP connect to port 80, restarted after two minutes without a listener
   */
  readonly liveness?: kplus.Probe | false;
  /**
   * A startup probe of httpd, which holds back the liveness probe until it succeeds (for
   * an image that starts slowly).
   * @default - none: httpd listens within a second, and the liveness probe allows two minutes
   */
  readonly startup?: kplus.Probe;
}

/** Options for {@link addHttpdContainer}, each checked against the owning construct's props. */
export interface HttpdContainerOptions extends HttpdProbeOptions {
  /**
   * The httpd image; any image built on the official `httpd` one.
   * @default HTTPD.image
   */
  readonly image?: string;
  /**
   * The container's name.
   * @default 'httpd'
   */
  readonly name?: string;
  /**
   * The document root, where the htdocs volume is mounted.
   * @default HTTPD.htdocsPath
   */
  readonly htdocsPath?: string;
  /**
   * Overrides the image's entrypoint.
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * Overrides the image's CMD.
   * @default - the image's CMD
   */
  readonly args?: string[];
  /**
   * Compute resources of the container.
   * @default DEFAULT_RESOURCES.httpd
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Image pull policy.
   * @default defaultPullPolicy(image)
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * Security context of the container and the pod.
   * @default DEFAULT_SECURITY_PRESETS.httpd
   */
  readonly securityPreset?: SecurityPreset;
  /**
   * postStart/preStop hooks of the container.
   * @default - no hooks
   */
  readonly lifecycle?: kplus.ContainerLifecycle;
  /**
   * The volume served as htdocs.
   * @default - a new emptyDir
   */
  readonly htdocsVolume?: kplus.Volume;
  /**
   * Mount htdocs read-only (the server only reads it).
   * @default false
   */
  readonly htdocsReadOnly?: boolean;
  /**
   * More mounts for the container.
   * @default - none
   */
  readonly volumeMounts?: kplus.VolumeMount[];
  /**
   * Environment of the container.
   * @default - none
   */
  readonly envVariables?: { [name: string]: kplus.EnvValue };
}

/** What {@link addHttpdContainer} added. */
export interface HttpdContainerParts {
  /** The httpd container. */
  readonly container: kplus.Container;
  /** The volume mounted at the htdocs path. */
  readonly htdocsVolume: kplus.Volume;
  /** The htdocs path inside the container. */
  readonly htdocsPath: string;
  /** The security preset applied to the container and pod. */
  readonly securityPreset: SecurityPreset;
}

/**
 * {@link HttpdContainerOptions}, checked: what {@link buildHttpdContainer} needs.
 * @internal
 */
export interface CheckedHttpdContainer {
  readonly options: HttpdContainerOptions;
  readonly image: string;
  readonly name: string;
  readonly htdocsPath: string;
  readonly resources: kplus.ContainerResources | undefined;
  readonly securityPreset: SecurityPreset;
}

/**
 * Checks the httpd container's props (each error names its prop).
 * @internal
 */
export function checkHttpdContainerOptions(ctx: PropContext, options: HttpdContainerOptions): CheckedHttpdContainer {
  const image = checkImage(ctx, 'image', options.image ?? HTTPD.image);
  const name = checkDnsLabel(ctx, 'containerName', options.name ?? 'httpd');
  const htdocsPath = checkAbsolutePath(ctx, 'htdocsPath', options.htdocsPath ?? HTTPD.htdocsPath);
  // The container runs them as they are, without a shell: the manifest holds them unchanged.
  checkEach(ctx, 'command', options.command, checkManifestText);
  checkEach(ctx, 'args', options.args, checkManifestText);
  checkEnvValues(ctx, 'envVariables', options.envVariables);
  const resources = checkResources(ctx, 'resources', options.resources ?? DEFAULT_RESOURCES.httpd);
  const mounts: TakenMountPath[] = [{ path: HTTPD.logsPath, what: "httpd's logs volume" }];
  checkMountPathFree(ctx, 'htdocsPath', htdocsPath, mounts);
  mounts.push({ path: htdocsPath, what: 'the htdocs volume' });
  const taken = [options.htdocsVolume?.name ?? HTTPD_VOLUMES.htdocs, HTTPD_VOLUMES.logs];
  options.volumeMounts?.forEach((mount, i) => {
    checkMountPathFree(ctx, `volumeMounts[${i}].path`, mount.path, mounts);
    mounts.push({ path: mount.path, what: `volume '${mount.volume.name}'` });
    checkVolumeNameFree(ctx, `volumeMounts[${i}]`, mount.volume.name, taken);
  });
  const securityPreset = options.securityPreset ?? DEFAULT_SECURITY_PRESETS.httpd;
  return { options, image, name, htdocsPath, resources, securityPreset };
}

/**
 * Adds the checked httpd container to `workload`: an emptyDir for `logs/` (httpd writes
 * `httpd.pid` there) and a volume for htdocs, with the security preset applied to the
 * container and the pod.
 * @param htdocsVolume the volume served, when the caller made it (`htdocsVolume` of the options otherwise)
 * @internal
 */
export function buildHttpdContainer(
  scope: Construct,
  workload: kplus.AbstractPod,
  checked: CheckedHttpdContainer,
  htdocsVolume: kplus.Volume = checked.options.htdocsVolume ?? kplus.Volume.fromEmptyDir(scope, 'HtdocsVolume', HTTPD_VOLUMES.htdocs),
): HttpdContainerParts {
  const { options, image, htdocsPath, securityPreset } = checked;
  warnIfUnpinned(scope, 'image', image);
  const logsVolume = kplus.Volume.fromEmptyDir(scope, 'LogsVolume', HTTPD_VOLUMES.logs);
  const container = workload.addContainer({
    name: checked.name,
    image,
    imagePullPolicy: options.imagePullPolicy ?? defaultPullPolicy(image),
    command: options.command,
    args: options.args,
    ports: [{ number: HTTPD.port, name: 'http' }],
    resources: checked.resources,
    lifecycle: options.lifecycle,
    readiness: options.readiness === false ? undefined : (options.readiness ?? httpdReadinessProbe()),
    liveness: options.liveness === false ? undefined : (options.liveness ?? httpdLivenessProbe()),
    startup: options.startup,
    envVariables: options.envVariables,
    volumeMounts: [
      { path: htdocsPath, volume: htdocsVolume, readOnly: options.htdocsReadOnly ?? false },
      { path: HTTPD.logsPath, volume: logsVolume },
      ...(options.volumeMounts ?? []),
    ],
  });
  securityPreset.applyToContainer(workload, container);
  securityPreset.applyToPod(workload);
  return { container, htdocsVolume, htdocsPath, securityPreset };
}

/** Options for {@link addHttpdContainer}. */
export interface AddHttpdContainerOptions extends HttpdContainerOptions {
  /** The workload to add the container to (any cdk8s-plus-27 workload). */
  readonly workload: kplus.AbstractPod;
}

/**
 * Adds an httpd container to a workload that runs on a read-only root filesystem: an
 * emptyDir for `logs/` (httpd writes `httpd.pid` there) and a volume for htdocs, with
 * the security preset applied to the container and the pod. Bad options throw a
 * {@link PropError} naming `scope`.
 */
export function addHttpdContainer(scope: Construct, options: AddHttpdContainerOptions): HttpdContainerParts {
  return buildHttpdContainer(scope, options.workload, checkHttpdContainerOptions(PropContext.of(scope), options));
}

/** The httpd props every construct shares. */
export interface HttpdOptions extends HttpdProbeOptions {
  /**
   * The httpd image. Any image built on the official `httpd` one works; hooks need its
   * `/bin/sh`, `date`, `mkdir` and `mv`.
   * @default IMAGE_PINS.httpd
   */
  readonly image?: string;
  /**
   * Image pull policy of the httpd image.
   * @default - `IfNotPresent` for a pinned tag or digest, `Always` for `latest` or no tag
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * The httpd container's name (e.g. `cntr-httpd`).
   * @default 'httpd'
   */
  readonly containerName?: string;
  /**
   * Labels of the pods, the object that runs them and the Service (e.g. `component: httpd`).
   * The Service selects the pods by their unique cdk8s address label, not by these.
   * @default - none
   */
  readonly labels?: { readonly [key: string]: string };
  /**
   * Compute resources of the httpd container.
   * @default DEFAULT_RESOURCES.httpd
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Security context of the pod and the httpd container.
   * @default DEFAULT_SECURITY_PRESETS.httpd: Pod Security "restricted", user and group
   *   10001 (the pod's `fsGroup`), read-only root filesystem, no capabilities, port 80
   *   bound through the `net.ipv4.ip_unprivileged_port_start` sysctl
   */
  readonly securityPreset?: SecurityPreset;
}

/** The props of the constructs that run httpd in a Pod of its own. */
export interface HttpdPodOptions extends HttpdOptions {
  /**
   * The Pod's `metadata.name` (e.g. `pod-httpd`).
   * @default - a unique name generated from the construct path
   */
  readonly podName?: string;
}
