import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { GitCloneScript, GitCloneScriptProps, GitCredentialFiles } from './git-clone-script';
import { defaultPullPolicy } from './httpd-container';
import { makeNativeSidecar } from './raw-manifest-fields';
import { SecurityPreset } from './security-preset';
import { checkImage, PropContext } from './validation';

/** Facts about the git containers that {@link addGitSiteContainers} adds. */
export const GIT_SITE = {
  /**
   * The default image: `alpine/git` (git, OpenSSH client and busybox `sh`), pinned to a
   * release. Its entrypoint is `git`, so the containers set `command` to `sh -c`.
   */
  image: 'alpine/git:2.49.1',
  /** Where the site volume is mounted in the git containers (also the image's `WORKDIR`). */
  mountPath: '/git',
  /** A writable emptyDir for `HOME`: the root filesystem is read-only. */
  homePath: '/tmp',
  /** Where the credentials Secret is mounted, read-only. */
  credentialsPath: '/etc/git-site-credentials',
  /**
   * The default user: `nobody` (65534), which alpine's `/etc/passwd` lists. OpenSSH exits
   * with "No user exists for uid" for a user it cannot look up, so an arbitrary uid such
   * as 10001 would break ssh clones.
   */
  user: 65534,
  /** Name of the init container that publishes the first tree. */
  initContainerName: 'git-clone',
  /** Name of the sidecar that keeps the tree current. */
  syncContainerName: 'git-sync',
} as const;

/** The default resources of the git containers: a shallow clone of a site. */
export function defaultGitResources(): kplus.ContainerResources {
  return {
    cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
    memory: { request: Size.mebibytes(64), limit: Size.mebibytes(512) },
  };
}

/** Options for {@link GitCredentials.ssh}. */
export interface GitSshCredentialsOptions {
  /**
   * The Secret key holding the private key (the key of a `kubernetes.io/ssh-auth` Secret).
   * @default 'ssh-privatekey'
   */
  readonly privateKeyKey?: string;
  /**
   * The Secret key holding `known_hosts` lines for the git host (e.g. from `ssh-keyscan`,
   * checked against the host's published fingerprints).
   * @default 'known_hosts'
   */
  readonly knownHostsKey?: string;
}

/** Options for {@link GitCredentials.https}. */
export interface GitHttpsCredentialsOptions {
  /**
   * The Secret key holding the user name (the key of a `kubernetes.io/basic-auth` Secret).
   * @default 'username'
   */
  readonly usernameKey?: string;
  /**
   * The Secret key holding the password or access token.
   * @default 'password'
   */
  readonly passwordKey?: string;
}

/** One Secret key and the file name it is mounted as. */
export interface GitCredentialFile {
  /** The key in the Secret. */
  readonly key: string;
  /** The file name in the credentials directory. */
  readonly file: string;
}

/**
 * Credentials for a private repository, from an existing Secret. The Secret is mounted
 * read-only (mode 0400) in the git containers only; its values never appear in the
 * manifest, the URL or a command line.
 */
export class GitCredentials {
  /** An ssh key and the host's `known_hosts` entry: strict host key checking stays on. */
  public static ssh(secret: kplus.ISecret, options: GitSshCredentialsOptions = {}): GitCredentials {
    return new GitCredentials('ssh', secret, [
      { key: options.privateKeyKey ?? 'ssh-privatekey', file: 'ssh-privatekey' },
      { key: options.knownHostsKey ?? 'known_hosts', file: 'known_hosts' },
    ]);
  }

  /** A user name and a password or access token, given to git by a credential helper. */
  public static https(secret: kplus.ISecret, options: GitHttpsCredentialsOptions = {}): GitCredentials {
    return new GitCredentials('https', secret, [
      { key: options.usernameKey ?? 'username', file: 'username' },
      { key: options.passwordKey ?? 'password', file: 'password' },
    ]);
  }

  private constructor(
    /** How git authenticates. */
    public readonly kind: 'ssh' | 'https',
    /** The Secret holding the credentials. */
    public readonly secret: kplus.ISecret,
    /** Which Secret key is mounted as which file. */
    public readonly items: readonly GitCredentialFile[],
  ) {}

  /** Where the files are, once the Secret is mounted at `dir`. */
  public files(dir: string): GitCredentialFiles {
    return this.kind === 'ssh'
      ? { kind: 'ssh', privateKeyPath: `${dir}/ssh-privatekey`, knownHostsPath: `${dir}/known_hosts` }
      : { kind: 'https', usernamePath: `${dir}/username`, passwordPath: `${dir}/password` };
  }
}

/** Options for {@link addGitSiteContainers}; each is a prop of the construct that uses it. */
export interface GitSiteContainersOptions extends Omit<GitCloneScriptProps, 'credentialFiles' | 'shell'> {
  /**
   * Credentials of a private repository, from an existing Secret.
   * @default - none: a public repository
   */
  readonly credentials?: GitCredentials;
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
   * @default GIT_SITE.image
   */
  readonly gitImage?: string;
  /**
   * Pull policy of the git image.
   * @default - `IfNotPresent` for a pinned tag or digest, `Always` otherwise
   */
  readonly gitImagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * Compute resources of each git container.
   * @default - requests 50m CPU / 64Mi memory, limits 500m CPU / 512Mi memory
   */
  readonly gitResources?: kplus.ContainerResources;
  /**
   * Security context of the git containers (only the container part is applied).
   * @default - Pod Security "restricted" as user and group 65534 (`nobody`)
   */
  readonly gitSecurityPreset?: SecurityPreset;
}

/** What {@link addGitSiteContainers} added. */
export interface GitSiteContainers {
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

// The Secret key syntax (a file name in the mounted volume).
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Adds to `workload` an init container that publishes a git branch or tag in `volume`,
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
  volume: kplus.Volume = kplus.Volume.fromEmptyDir(scope, 'GitSiteVolume', 'git-site'),
): GitSiteContainers {
  const image = checkImage(ctx, 'gitImage', options.gitImage ?? GIT_SITE.image);
  const credentials = options.credentials;
  for (const { key } of credentials?.items ?? []) {
    if (!SECRET_KEY.test(key)) {
      throw ctx.error('credentials', key, "is not a Secret key: letters, digits, '-', '_' and '.' only");
    }
  }
  const script = new GitCloneScript({ ...options, credentialFiles: credentials?.files(GIT_SITE.credentialsPath) }, ctx);
  let intervalSeconds: number | undefined;
  if (options.syncInterval !== undefined) {
    const millis = options.syncInterval.toMilliseconds({ integral: false });
    if (millis < 1000 || millis % 1000 !== 0) {
      throw ctx.error('syncInterval', options.syncInterval.toHumanString(), 'is not a whole number of seconds, at least 1');
    }
    intervalSeconds = millis / 1000;
  }
  if (options.nativeSidecar && intervalSeconds === undefined) {
    throw ctx.error('nativeSidecar', true, 'needs syncInterval: without it there is no sidecar');
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
  const preset = options.gitSecurityPreset ?? GIT_SECURITY;
  const container = (name: string, command: string[]): kplus.ContainerProps => ({
    name,
    image,
    imagePullPolicy: options.gitImagePullPolicy ?? defaultPullPolicy(image),
    command,
    workingDir: GIT_SITE.mountPath,
    envVariables: { HOME: kplus.EnvValue.fromValue(GIT_SITE.homePath) },
    resources: options.gitResources ?? defaultGitResources(),
    volumeMounts: mounts,
  });

  const initContainer = workload.addInitContainer(container(GIT_SITE.initContainerName, script.once.toCommand()));
  preset.applyToContainer(workload, initContainer);
  let syncContainer: kplus.Container | undefined;
  if (intervalSeconds !== undefined) {
    const props = container(GIT_SITE.syncContainerName, script.syncLoop(intervalSeconds).toCommand());
    syncContainer = options.nativeSidecar ? workload.addInitContainer(props) : workload.addContainer(props);
    if (options.nativeSidecar) makeNativeSidecar(workload, syncContainer);
    preset.applyToContainer(workload, syncContainer);
  }
  return { script, volume, initContainer, syncContainer };
}

// A preset is immutable, so every site can share one.
const GIT_SECURITY = SecurityPreset.restricted({ user: GIT_SITE.user, group: GIT_SITE.user });
