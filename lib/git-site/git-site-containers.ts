import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DEFAULT_GIT_SITE_SIZE_LIMIT, DEFAULT_RESOURCES, DEFAULT_SECURITY_PRESETS, defaultPullPolicy } from '../core/defaults';
import { PropContext } from '../core/errors';
import { GIT_IMAGE_USER, IMAGE_PINS } from '../core/images';
import { makeNativeSidecar } from '../core/manifest-patches';
import { checkExecArgs, checkImage, checkResources, checkSecretKey, checkWholeSeconds } from '../core/prop-checks';
import { SecurityPreset } from '../core/security-preset';
import { Warnings } from '../core/warnings';
import { warnIfUnpinned } from '../httpd/httpd-container';
import { GitCloneScript, GitCloneScriptProps } from './git-clone-script';
import { GitCertificateAuthority, GitCredentials } from './git-credentials';
import { checkCredentialsTransport, checkGitRepository } from './git-rules';

/** Facts about the git containers that {@link addGitSiteContainers} adds. */
export const GIT_SITE = {
  /** The default image; its entrypoint is `git`, so the containers set `command` to `sh -c`. */
  image: IMAGE_PINS.git,
  /** Where the site volume is mounted in the git containers (also the image's `WORKDIR`). */
  mountPath: '/git',
  /** A writable emptyDir for `HOME`: the root filesystem is read-only. */
  homePath: '/tmp',
  /** Where the credentials Secret is mounted, read-only. */
  credentialsPath: '/etc/git-site-credentials',
  /** Where the CA bundle is mounted, read-only (the file `ca.crt` in it). */
  caPath: '/etc/git-site-ca',
  /** The default user: `nobody`, see {@link GIT_IMAGE_USER}. */
  user: GIT_IMAGE_USER,
  /** Name of the init container that publishes the first tree. */
  initContainerName: 'git-clone',
  /** Name of the sidecar that keeps the tree current. */
  syncContainerName: 'git-sync',
} as const;

/**
 * The emptyDir the git containers publish the site in (`GIT_SITE.mountPath` in them), for a
 * web server to mount, with a `sizeLimit` (the kubelet evicts a pod whose volume grows past it).
 * @param sizeLimit the volume's limit; give the git containers the same `siteSizeLimit`
 */
export function gitSiteVolume(scope: Construct, sizeLimit: Size = DEFAULT_GIT_SITE_SIZE_LIMIT): kplus.Volume {
  return kplus.Volume.fromEmptyDir(scope, 'GitSiteVolume', 'git-site', { sizeLimit });
}

/** Options for {@link addGitSiteContainers}; each is a prop of the construct that uses it. */
export interface GitSiteContainersOptions extends Omit<GitCloneScriptProps, 'credentialFiles' | 'shell' | 'caBundlePath' | 'maxTreeSize'> {
  /**
   * The `sizeLimit` of the site volume. An update stops at half of it (the previous tree
   * stays served while the next one is fetched): a larger snapshot fails that update, the
   * old tree stays served. Pass the same size to {@link gitSiteVolume} for your own volume.
   * @default DEFAULT_GIT_SITE_SIZE_LIMIT (1 GiB)
   */
  readonly siteSizeLimit?: Size;
  /**
   * Credentials of a private repository, from an existing Secret.
   * @default - none: a public repository
   */
  readonly credentials?: GitCredentials;
  /**
   * The CA bundle of an https server with a private CA, from a Secret or ConfigMap
   * (`GitCertificateAuthority.fromSecret(secret, { key: 'ca.crt' })`). Mounted read-only in the
   * git containers only, and trusted for the repository's server only, instead of the
   * image's CA bundle. Only for https repositories.
   * @default - the git image's CA bundle
   */
  readonly certificateAuthority?: GitCertificateAuthority;
  /**
   * Keep the site current: a sidecar checks the remote every interval (whole seconds)
   * and switches to a new tree when the ref moved. Pods may briefly serve different
   * commits while they sync.
   * @default - no sidecar: the site is the commit cloned when the pod started
   */
  readonly syncInterval?: Duration;
  /**
   * Run the sync sidecar as a Kubernetes native sidecar (an init container with
   * `restartPolicy: Always`) instead of a regular container. Needs Kubernetes 1.29+;
   * see {@link makeNativeSidecar}.
   * @default false
   */
  readonly nativeSidecar?: boolean;
  /**
   * The git image: it needs `git`, `sh`, `mktemp`, `readlink`, `mv -T` (busybox or GNU),
   * and `ssh` for ssh repositories.
   * @default IMAGE_PINS.git
   */
  readonly gitImage?: string;
  /**
   * Pull policy of the git image.
   * @default - `IfNotPresent` for a pinned tag or digest, `Always` otherwise
   */
  readonly gitImagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * Compute resources of each git container.
   * @default DEFAULT_RESOURCES.git
   */
  readonly gitResources?: kplus.ContainerResources;
  /**
   * Security context of the git containers (only the container part is applied).
   * @default DEFAULT_SECURITY_PRESETS.git: Pod Security "restricted" as user and group 65534 (`nobody`)
   */
  readonly gitSecurityPreset?: SecurityPreset;
}

/** What {@link addGitSiteContainers} added. */
export interface GitSiteParts {
  /** The scripts the containers run. */
  readonly script: GitCloneScript;
  /** The volume the tree is published in; mount it in the web server. */
  readonly volume: kplus.Volume;
  /** The init container that publishes the first tree. */
  readonly initContainer: kplus.Container;
  /**
   * The sync sidecar, when `syncInterval` is set.
   * @default - none
   */
  readonly syncContainer?: kplus.Container;
}

/**
 * Adds to `workload` an init container that publishes a git branch, tag or commit in `volume`,
 * and optionally a sidecar that keeps it current. Mount `volume` in your web server and
 * serve `<mount path>/site` (`GIT_CLONE_LAYOUT.linkName`), a symlink switched atomically
 * on every update. Works on any cdk8s-plus workload.
 *
 * Props are checked against `ctx`, so errors name the construct the user wrote. One
 * writer per volume: the init container and the sidecar never run at the same time.
 *
 * A credentials Secret is readable by the non-root git user only through the pod's
 * `fsGroup`: the kubelet makes the files group-owned by it (mode 0400 becomes 0440).
 * Apply a pod security preset with a group (e.g. `SecurityPreset.restricted()`).
 *
 * @param volume the volume to publish in (mounted at `/git` in the git containers)
 */
export function addGitSiteContainers(
  scope: Construct,
  workload: kplus.AbstractPod,
  ctx: PropContext,
  options: GitSiteContainersOptions,
  volume: kplus.Volume = gitSiteVolume(scope),
): GitSiteParts {
  const image = checkImage(ctx, 'gitImage', options.gitImage ?? GIT_SITE.image);
  warnIfUnpinned(scope, 'gitImage', image);
  const credentials = options.credentials;
  if (credentials) {
    for (const { key } of credentials.items) checkSecretKey(ctx, 'credentials', key);
    checkCredentialsTransport(
      ctx,
      'credentials',
      credentials.kind,
      checkGitRepository(ctx, 'repository', options.repository, options),
      options.repository,
    );
  }
  const ca = options.certificateAuthority;
  if (ca) {
    checkSecretKey(ctx, 'certificateAuthority', ca.key, 'CA_BUNDLE');
    if (checkGitRepository(ctx, 'repository', options.repository, options) !== 'https') {
      throw ctx.error(
        'CA_BUNDLE',
        'certificateAuthority',
        ca,
        `is a CA bundle for an https server, but the repository ${JSON.stringify(options.repository)} is not an https URL`,
      );
    }
  }
  const script = new GitCloneScript(
    {
      ...options,
      credentialFiles: credentials?.files(GIT_SITE.credentialsPath),
      caBundlePath: ca ? `${GIT_SITE.caPath}/ca.crt` : undefined,
      maxTreeSize: Size.kibibytes(Math.floor((options.siteSizeLimit ?? DEFAULT_GIT_SITE_SIZE_LIMIT).toKibibytes() / 2)),
    },
    ctx,
  );
  const intervalSeconds = options.syncInterval === undefined ? undefined : checkWholeSeconds(ctx, 'syncInterval', options.syncInterval, 1);
  if (options.nativeSidecar && intervalSeconds === undefined) {
    throw ctx.error('MISSING_PROP', 'nativeSidecar', true, 'needs syncInterval: without it there is no sidecar');
  }
  if (options.afterUpdateCommand !== undefined && intervalSeconds === undefined) {
    throw ctx.error(
      'MISSING_PROP',
      'afterUpdateCommand',
      options.afterUpdateCommand,
      'needs syncInterval: the sync sidecar runs it, also for the first tree',
    );
  }
  if (options.nativeSidecar) {
    Warnings.of(scope).add(
      'NATIVE_SIDECAR',
      'nativeSidecar makes git-sync an init container with restartPolicy: Always, which needs Kubernetes 1.29+ (1.28 with the SidecarContainers feature gate): an older API server rejects the field or drops it, and the pod never starts',
    );
  }
  if (options.keepSymlinks) {
    Warnings.of(scope).add(
      'KEEP_SYMLINKS',
      "keepSymlinks checks the repository's symbolic links out as links, and httpd's stock config follows them: whoever can push to the repository can make the site serve any file the httpd user can read",
    );
  }

  const home = kplus.Volume.fromEmptyDir(scope, 'GitHomeVolume', 'git-home');
  const mounts: kplus.VolumeMount[] = [
    { path: GIT_SITE.mountPath, volume },
    { path: GIT_SITE.homePath, volume: home },
  ];
  if (credentials) {
    const secretVolume = kplus.Volume.fromSecret(scope, 'GitCredentialsVolume', credentials.secret, {
      name: 'git-credentials',
      defaultMode: 0o400,
      items: Object.fromEntries(credentials.items.map(({ key, file }) => [key, { path: file }])),
    });
    mounts.push({ path: GIT_SITE.credentialsPath, volume: secretVolume, readOnly: true });
  }
  if (ca) {
    // Public certificates: readable by any user, so no fsGroup is needed.
    const volumeOptions = { name: 'git-ca', defaultMode: 0o444, items: { [ca.key]: { path: 'ca.crt' } } };
    const caVolume = ca.secret
      ? kplus.Volume.fromSecret(scope, 'GitCaVolume', ca.secret, volumeOptions)
      : kplus.Volume.fromConfigMap(scope, 'GitCaVolume', ca.configMap!, volumeOptions);
    mounts.push({ path: GIT_SITE.caPath, volume: caVolume, readOnly: true });
  }
  const preset = options.gitSecurityPreset ?? DEFAULT_SECURITY_PRESETS.git;
  const resources = checkResources(ctx, 'gitResources', options.gitResources ?? DEFAULT_RESOURCES.git);
  for (const name of [GIT_SITE.initContainerName, ...(intervalSeconds === undefined ? [] : [GIT_SITE.syncContainerName])]) {
    if ([...workload.containers, ...workload.initContainers].some((c) => c.name === name)) {
      throw ctx.error(
        'NAME_CLASH',
        'containerName',
        name,
        'is the name of a git container of the pod: two containers of one name are refused by the API server; choose another name',
      );
    }
  }
  const container = (name: string, command: string[]): kplus.ContainerProps => ({
    name,
    image,
    imagePullPolicy: options.gitImagePullPolicy ?? defaultPullPolicy(image),
    command,
    workingDir: GIT_SITE.mountPath,
    envVariables: { HOME: kplus.EnvValue.fromValue(GIT_SITE.homePath) },
    resources,
    volumeMounts: mounts,
  });

  const wayOut = 'shorten the repository URL, ref and sub-path';
  const initContainer = workload.addInitContainer(
    container(GIT_SITE.initContainerName, [...checkExecArgs(ctx, 'repository', options.repository, script.initScript.toCommand(), wayOut)]),
  );
  preset.applyToContainer(workload, initContainer);
  let syncContainer: kplus.Container | undefined;
  if (intervalSeconds !== undefined) {
    const sync = script.syncScript(intervalSeconds, ctx, 'syncInterval').toCommand();
    const props = container(GIT_SITE.syncContainerName, [...checkExecArgs(ctx, 'repository', options.repository, sync, wayOut)]);
    syncContainer = options.nativeSidecar ? workload.addInitContainer(props) : workload.addContainer(props);
    if (options.nativeSidecar) makeNativeSidecar(workload, syncContainer);
    preset.applyToContainer(workload, syncContainer);
  }
  return { script, volume, initContainer, syncContainer };
}
