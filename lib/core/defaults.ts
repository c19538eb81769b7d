import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { GIT_IMAGE_USER, HTTPD } from './images';
import { isPinnedImage } from './prop-checks';
import { SecurityPreset } from './security-preset';

// The defaults every construct and building block shares: one home for each, so the
// constructs cannot drift apart.

/**
 * `IfNotPresent` for a pinned image (a tag other than `latest`, or a digest), `Always`
 * otherwise: cdk8s-plus-27 always defaults to `Always`, which pulls on every start and
 * fails restarts when the registry is unreachable even though the image is cached.
 */
export function defaultPullPolicy(image: string): kplus.ImagePullPolicy {
  return isPinnedImage(image) ? kplus.ImagePullPolicy.IF_NOT_PRESENT : kplus.ImagePullPolicy.ALWAYS;
}

// Read-only values (cdk8s-plus only reads them when it renders), so every container shares them.
function resources(cpuMillis: [number, number], memoryMebibytes: [number, number], ephemeralLimit?: Size): kplus.ContainerResources {
  return Object.freeze({
    cpu: Object.freeze({ request: kplus.Cpu.millis(cpuMillis[0]), limit: kplus.Cpu.millis(cpuMillis[1]) }),
    memory: Object.freeze({ request: Size.mebibytes(memoryMebibytes[0]), limit: Size.mebibytes(memoryMebibytes[1]) }),
    ...(ephemeralLimit ? { ephemeralStorage: Object.freeze({ limit: ephemeralLimit }) } : {}),
  });
}

/** The default `sizeLimit` of a git site's emptyDir (`siteSizeLimit`): 1 GiB. */
export const DEFAULT_GIT_SITE_SIZE_LIMIT = Size.gibibytes(1);

/**
 * The default compute resources of the containers the library adds. cdk8s-plus-27's own
 * default (1 CPU and 512Mi requested) would reserve far more than any of them uses.
 */
export const DEFAULT_RESOURCES = {
  /** httpd serving a small static site: requests 50m CPU / 64Mi, limits 500m / 256Mi. */
  httpd: resources([50, 500], [64, 256]),
  /**
   * A shallow clone of a site: requests 50m CPU / 64Mi, limits 500m / 512Mi, and an
   * ephemeral-storage limit of 2Gi: room for the site volume ({@link DEFAULT_GIT_SITE_SIZE_LIMIT})
   * and HOME, which count toward the pod's ephemeral storage, whose limit is the sum of its
   * containers' limits (cdk8s-plus-27 writes this limit in whole GiB).
   */
  git: resources([50, 500], [64, 512], Size.gibibytes(2)),
  /** The flag-file collector and its cleanup: requests 10m CPU / 16Mi, limits 100m / 64Mi. */
  collector: resources([10, 100], [16, 64]),
} as const;

/** The default security presets of the containers the library adds. A preset is immutable, so all share one. */
export const DEFAULT_SECURITY_PRESETS = {
  /**
   * httpd: Pod Security "restricted", user and group 10001, with the sysctl
   * `net.ipv4.ip_unprivileged_port_start` set to 80 so it binds port 80 without root or
   * capabilities. httpd switches to its `User www-data` only when started as root, so a
   * non-root start just serves as that user.
   */
  httpd: SecurityPreset.restricted({ unprivilegedPortStart: HTTPD.port }),
  /** The collector moves files in root-owned directories and keeps `incoming/` at mode 1733: root, all capabilities dropped. */
  collector: SecurityPreset.baselineRoot(),
  /** The git containers: Pod Security "restricted" as `nobody` (65534). */
  git: SecurityPreset.restricted({ user: GIT_IMAGE_USER, group: GIT_IMAGE_USER }),
} as const;

/**
 * Object metadata with `name` only when one is given: an explicit `name: undefined` would
 * replace the name cdk8s generates from the construct path, and Kubernetes needs one.
 */
export function metadataWithName(
  name: string | undefined,
  labels: Record<string, string>,
): { name?: string; labels: Record<string, string> } {
  return name === undefined ? { labels } : { name, labels };
}
