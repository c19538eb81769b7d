import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { SecurityPreset } from './security-preset';
import { checkAbsolutePath, checkDnsLabel, checkImage, checkText, isPinnedImage, PropContext } from './validation';

/** Facts about the official `httpd` image that the constructs build on. */
export const HTTPD = {
  /** The default image: a pinned 2.4 release, so a synth today and next month deploy the same server. */
  image: 'httpd:2.4.65',
  /** The port the image's `httpd.conf` listens on. */
  port: 80,
  /** The document root of the image's `httpd.conf`. */
  htdocsPath: '/usr/local/apache2/htdocs',
  /** Where httpd writes `httpd.pid` and its runtime files (cgid socket, mutexes). */
  logsPath: '/usr/local/apache2/logs',
} as const;

/**
 * The default compute resources of an httpd container: a small static site server.
 * cdk8s-plus-27's default (1 CPU and 512Mi requested) would reserve far more than it uses.
 */
export function defaultHttpdResources(): kplus.ContainerResources {
  return DEFAULT_HTTPD_RESOURCES;
}
// Read-only values (cdk8s-plus only reads them when it renders), so every container shares them.
const DEFAULT_HTTPD_RESOURCES: kplus.ContainerResources = Object.freeze({
  cpu: Object.freeze({ request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) }),
  memory: Object.freeze({ request: Size.mebibytes(64), limit: Size.mebibytes(256) }),
});

/**
 * `IfNotPresent` for a pinned image (a tag other than `latest`, or a digest), `Always`
 * otherwise: cdk8s-plus-27 always defaults to `Always`, which pulls on every start and
 * fails restarts when the registry is unreachable even though the image is cached.
 */
export function defaultPullPolicy(image: string): kplus.ImagePullPolicy {
  return isPinnedImage(image) ? kplus.ImagePullPolicy.IF_NOT_PRESENT : kplus.ImagePullPolicy.ALWAYS;
}

/**
 * The httpd security context: Pod Security "restricted", running as user 10001 with the
 * `net.ipv4.ip_unprivileged_port_start` sysctl set to 80 so it can bind port 80 without
 * root or capabilities. httpd only switches to its `User daemon` when started as root,
 * so a non-root start just serves as that user.
 */
export function defaultHttpdSecurity(): SecurityPreset {
  return DEFAULT_HTTPD_SECURITY;
}
// A preset is immutable, so every construct can share one.
const DEFAULT_HTTPD_SECURITY = SecurityPreset.restricted({ unprivilegedPortStart: HTTPD.port });

/** Options for {@link addHttpdContainer}, each checked against the owning construct's props. */
export interface HttpdContainerOptions {
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
   * @default defaultHttpdResources()
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Image pull policy.
   * @default defaultPullPolicy(image)
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * Security context of the container and the pod.
   * @default defaultHttpdSecurity()
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
export interface HttpdContainer {
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
 * Adds an httpd container to `workload` that runs on a read-only root filesystem: an
 * emptyDir for `logs/` (httpd writes `httpd.pid` there) and a volume for htdocs, with
 * the security preset applied to the container and the pod. Props are checked against
 * `ctx`, so errors name the construct the user wrote.
 */
export function addHttpdContainer(
  scope: Construct,
  workload: kplus.AbstractPod,
  ctx: PropContext,
  options: HttpdContainerOptions = {},
): HttpdContainer {
  const image = checkImage(ctx, 'image', options.image ?? HTTPD.image);
  const name = checkDnsLabel(ctx, 'containerName', options.name ?? 'httpd');
  const htdocsPath = checkAbsolutePath(ctx, 'htdocsPath', options.htdocsPath ?? HTTPD.htdocsPath);
  options.command?.forEach((word, i) => checkText(ctx, `command[${i}]`, word));
  options.args?.forEach((word, i) => checkText(ctx, `args[${i}]`, word));
  const securityPreset = options.securityPreset ?? defaultHttpdSecurity();
  const htdocsVolume = options.htdocsVolume ?? kplus.Volume.fromEmptyDir(scope, 'HtdocsVolume', 'htdocs');
  const logsVolume = kplus.Volume.fromEmptyDir(scope, 'LogsVolume', 'httpd-logs');

  const container = workload.addContainer({
    name,
    image,
    imagePullPolicy: options.imagePullPolicy ?? defaultPullPolicy(image),
    command: options.command,
    args: options.args,
    ports: [{ number: HTTPD.port, name: 'http' }],
    resources: options.resources ?? defaultHttpdResources(),
    lifecycle: options.lifecycle,
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

/** The props every construct that runs httpd in a pod of its own shares. */
export interface HttpdPodOptions {
  /**
   * The httpd image. Any image built on the official `httpd` one works; hooks need its
   * `/bin/sh`, `date`, `mkdir` and `mv`.
   * @default 'httpd:2.4.65'
   */
  readonly image?: string;
  /**
   * Image pull policy.
   * @default - `IfNotPresent` for a pinned tag or digest, `Always` for `latest` or no tag
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * The Pod's `metadata.name` (the seed uses `pod-httpd`).
   * @default - a unique name generated from the construct path
   */
  readonly podName?: string;
  /**
   * The container's name (the seed uses `cntr-httpd`).
   * @default 'httpd'
   */
  readonly containerName?: string;
  /**
   * Labels of the Pod and the Service (the seed uses `component: httpd`). The Service
   * selects the Pod by its unique cdk8s address label, not by these.
   * @default - none
   */
  readonly labels?: { readonly [key: string]: string };
  /**
   * Compute resources of the httpd container.
   * @default - requests 50m CPU / 64Mi memory, limits 500m CPU / 256Mi memory
   */
  readonly resources?: kplus.ContainerResources;
}
