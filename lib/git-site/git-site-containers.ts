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
import { warnIfUnpinned } from '../blocks/httpd-container';
import { GitCloneScript, GitCloneScriptProps } from './git-clone-script';
import { GitCertificateAuthority, GitCredentials } from './git-credentials';
import { checkCaBundleTransport, checkCredentialsTransport, checkGitRepository } from './git-rules';

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
  /** The default user and group: `nobody` (65534), which alpine's `/etc/passwd` lists (ssh clones need a user it can look up). */
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
   * stays served while the next one is checked out): a repository and new tree larger
   * than that fail the update, the old tree stays served. Pass the same size to {@link gitSiteVolume} for your own volume.
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
 * {@link GitSiteContainersOptions}, checked: what {@link buildGitSiteContainers} needs.
 * @internal
 */
export interface CheckedGitSite {
  readonly options: GitSiteContainersOptions;
  readonly image: string;
  readonly script: GitCloneScript;
  readonly initCommand: readonly string[];
  /**
   * The sync sidecar's command and whether it is a native sidecar.
   * @default - none: no `syncInterval`
   */
  readonly sync?: { readonly command: readonly string[]; readonly native: boolean };
  readonly resources: kplus.ContainerResources | undefined;
  readonly preset: SecurityPreset;
}

/**
 * Checks the git props (each error names its prop) and builds the scripts the containers
 * run. `containerNames` are the names the pod already uses, which the git containers must
 * not take.
 * @internal
 */
export function checkGitSiteOptions(
  ctx: PropContext,
  options: GitSiteContainersOptions,
  containerNames: readonly string[],
): CheckedGitSite {
  const image = checkImage(ctx, 'gitImage', options.gitImage ?? GIT_SITE.image);
  checkGitAccess(ctx, options);
  const script = new GitCloneScript(
    {
      ...options,
      credentialFiles: options.credentials?.files(GIT_SITE.credentialsPath),
      caBundlePath: options.certificateAuthority ? `${GIT_SITE.caPath}/ca.crt` : undefined,
      maxTreeSize: Size.kibibytes(Math.floor((options.siteSizeLimit ?? DEFAULT_GIT_SITE_SIZE_LIMIT).toKibibytes() / 2)),
    },
    ctx,
  );
  const intervalSeconds = options.syncInterval === undefined ? undefined : checkWholeSeconds(ctx, 'syncInterval', options.syncInterval, 1);
  if (intervalSeconds === undefined) {
    if (options.nativeSidecar) throw ctx.error('MISSING_PROP', 'nativeSidecar', true, 'needs syncInterval: without it there is no sidecar');
    if (options.afterUpdateCommand !== undefined) {
      const rule = 'needs syncInterval: the sync sidecar runs it, also for the first tree';
      throw ctx.error('MISSING_PROP', 'afterUpdateCommand', options.afterUpdateCommand, rule);
    }
  }
  for (const name of [GIT_SITE.initContainerName, ...(intervalSeconds === undefined ? [] : [GIT_SITE.syncContainerName])]) {
    if (containerNames.includes(name)) {
      const rule =
        'is the name of a git container of the pod: two containers of one name are refused by the API server; choose another name';
      throw ctx.error('NAME_CLASH', 'containerName', name, rule);
    }
  }
  const wayOut = 'shorten the repository URL, ref and sub-path';
  const initCommand = checkExecArgs(ctx, 'repository', options.repository, script.initScript.toCommand(), wayOut);
  const sync =
    intervalSeconds === undefined
      ? undefined
      : {
          command: checkExecArgs(
            ctx,
            'repository',
            options.repository,
            script.syncScript(intervalSeconds, ctx, 'syncInterval').toCommand(),
            wayOut,
          ),
          native: options.nativeSidecar ?? false,
        };
  const resources = checkResources(ctx, 'gitResources', options.gitResources ?? DEFAULT_RESOURCES.git);
  return { options, image, script, initCommand, sync, resources, preset: options.gitSecurityPreset ?? DEFAULT_SECURITY_PRESETS.git };
}

// The credentials and the CA bundle: their Secret keys, and the transport they fit.
function checkGitAccess(ctx: PropContext, options: GitSiteContainersOptions): void {
  const { credentials, certificateAuthority: ca } = options;
  if (!credentials && !ca) return;
  const protocol = checkGitRepository(ctx, 'repository', options.repository, options);
  if (credentials) {
    for (const { key } of credentials.items) checkSecretKey(ctx, 'credentials', key);
    checkCredentialsTransport(ctx, 'credentials', credentials.kind, protocol, options.repository);
  }
  if (ca) {
    checkSecretKey(ctx, 'certificateAuthority', ca.key, 'CA_BUNDLE');
    checkCaBundleTransport(ctx, 'certificateAuthority', ca, protocol, options.repository);
  }
}

/**
 * Adds the checked git containers to `workload`: an init container that publishes the tree
 * in `volume`, and the sync sidecar when there is one.
 * @internal
 */
export function buildGitSiteContainers(
  scope: Construct,
  workload: kplus.AbstractPod,
  git: CheckedGitSite,
  volume: kplus.Volume,
): GitSiteParts {
  warnGitSite(scope, git);
  const mounts = gitSiteMounts(scope, git.options, volume);
  const container = (name: string, command: readonly string[]): kplus.ContainerProps => ({
    name,
    image: git.image,
    imagePullPolicy: git.options.gitImagePullPolicy ?? defaultPullPolicy(git.image),
    command: [...command],
    workingDir: GIT_SITE.mountPath,
    envVariables: { HOME: kplus.EnvValue.fromValue(GIT_SITE.homePath) },
    resources: git.resources,
    volumeMounts: mounts,
  });
  const initContainer = workload.addInitContainer(container(GIT_SITE.initContainerName, git.initCommand));
  git.preset.applyToContainer(workload, initContainer);
  let syncContainer: kplus.Container | undefined;
  if (git.sync) {
    const props = container(GIT_SITE.syncContainerName, git.sync.command);
    syncContainer = git.sync.native ? workload.addInitContainer(props) : workload.addContainer(props);
    if (git.sync.native) makeNativeSidecar(workload, syncContainer);
    git.preset.applyToContainer(workload, syncContainer);
  }
  return { script: git.script, volume, initContainer, syncContainer };
}

function warnGitSite(scope: Construct, git: CheckedGitSite): void {
  warnIfUnpinned(scope, 'gitImage', git.image);
  if (git.sync?.native) {
    Warnings.of(scope).add(
      'NATIVE_SIDECAR',
      'nativeSidecar makes git-sync an init container with restartPolicy: Always, which needs Kubernetes 1.29+ (1.28 with the SidecarContainers feature gate): an older API server rejects the field or drops it, and the pod never starts',
    );
  }
  if (git.options.keepSymlinks) {
    Warnings.of(scope).add(
      'KEEP_SYMLINKS',
      "keepSymlinks checks the repository's symbolic links out as links, and httpd's stock config follows them: whoever can push to the repository can make the site serve any file the httpd user can read",
    );
  }
}

// The site volume, a writable HOME, and the credentials and CA bundle when given.
function gitSiteMounts(scope: Construct, options: GitSiteContainersOptions, volume: kplus.Volume): kplus.VolumeMount[] {
  const home = kplus.Volume.fromEmptyDir(scope, 'GitHomeVolume', 'git-home');
  const mounts: kplus.VolumeMount[] = [
    { path: GIT_SITE.mountPath, volume },
    { path: GIT_SITE.homePath, volume: home },
  ];
  const { credentials, certificateAuthority: ca } = options;
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
  return mounts;
}

/** Options for {@link addGitSiteContainers}. */
export interface AddGitSiteContainersOptions extends GitSiteContainersOptions {
  /** The workload to add the git containers to (any cdk8s-plus-27 workload). */
  readonly workload: kplus.AbstractPod;
  /**
   * The volume to publish the site in (mounted at `GIT_SITE.mountPath` in the git containers).
   * @default - a new emptyDir, {@link gitSiteVolume}
   */
  readonly volume?: kplus.Volume;
}

/**
 * Adds to a workload an init container that publishes a git branch, tag or commit in a
 * volume, and optionally a sidecar that keeps it current. Mount the volume in your web
 * server and serve `<mount path>/site` (`GIT_CLONE_LAYOUT.linkName`), a symlink switched
 * atomically on every update. Works on any cdk8s-plus workload. Bad options throw a
 * {@link PropError} naming `scope`. One writer per volume: the init container and the
 * sidecar never run at the same time.
 *
 * A credentials Secret is readable by the non-root git user only through the pod's
 * `fsGroup`: the kubelet makes the files group-owned by it (mode 0400 becomes 0440).
 * Apply a pod security preset with a group (e.g. `SecurityPreset.restricted()`).
 */
export function addGitSiteContainers(scope: Construct, options: AddGitSiteContainersOptions): GitSiteParts {
  const { workload } = options;
  const names = [...workload.containers, ...workload.initContainers].map((c) => c.name);
  const git = checkGitSiteOptions(PropContext.of(scope), options, names);
  return buildGitSiteContainers(scope, workload, git, options.volume ?? gitSiteVolume(scope));
}
