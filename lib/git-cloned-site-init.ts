import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { GitCloneScript, GIT_CLONE_LAYOUT } from './git-clone-script';
import { addGitSiteContainers, GitSiteContainersOptions } from './git-site-containers';
import { addHttpService, HttpServiceOptions } from './http-service';
import { addStandardSynthChecks } from './synth-validations';
import { addHttpdContainer, defaultHttpdSecurity, HTTPD } from './httpd-container';
import { SecurityPreset } from './security-preset';
import { checkDnsSubdomain, checkIntegerRange, checkLabels, PropContext } from './validation';

/** Properties of {@link GitClonedSiteInit}. */
export interface GitClonedSiteInitProps extends GitSiteContainersOptions, HttpServiceOptions {
  /**
   * The httpd image. Any image built on the official `httpd` one works (the container
   * runs `httpd-foreground` with the document root set to the published tree).
   * @default 'httpd:2.4.65'
   */
  readonly image?: string;
  /**
   * Pull policy of the httpd image.
   * @default - `IfNotPresent` for a pinned tag or digest, `Always` otherwise
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * Name of the httpd container.
   * @default 'httpd'
   */
  readonly containerName?: string;
  /**
   * Compute resources of the httpd container.
   * @default - requests 50m CPU / 64Mi memory, limits 500m CPU / 256Mi memory
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Security context of the pod and the httpd container. Its group is the pod's
   * `fsGroup`, through which the git user reads a credentials Secret.
   * @default - Pod Security "restricted": user 10001, `fsGroup` 10001, read-only root
   *   filesystem, no capabilities, port 80 bound through the
   *   `net.ipv4.ip_unprivileged_port_start` sysctl
   */
  readonly securityPreset?: SecurityPreset;
  /**
   * The Deployment's `metadata.name`.
   * @default - a unique name generated from the construct path
   */
  readonly deploymentName?: string;
  /**
   * Number of pods. Each clones the repository itself.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Labels of the Deployment, its pods and the Service. The Service selects the pods by
   * their unique cdk8s address label, not by these.
   * @default - none
   */
  readonly labels?: { readonly [key: string]: string };
}

/**
 * The source document's init-container scenario, done so it survives production: a
 * Deployment whose init container clones a git branch or tag into an emptyDir, an httpd
 * container that serves it (optionally one sub-directory), an optional sidecar that
 * keeps it current, and a Service (NodePort by default).
 *
 * A Deployment rather than a bare Pod: a site should come back when its node goes away,
 * roll out a new image or repository without downtime, and run more than one copy.
 *
 * The clone is shallow and single-branch, lands in a fresh snapshot directory, so a
 * restarted init container (or a `lost+found`) never breaks it, and is switched in
 * atomically through a symlink the document root points at. Git metadata is kept out
 * of the served tree. Private repositories read an ssh key or an https token from an
 * existing Secret. See {@link GitCloneScript} for the scripts.
 */
export class GitClonedSiteInit extends Construct {
  /** The Deployment running the site. */
  public readonly deployment: kplus.Deployment;
  /** The Service exposing the pods' port 80. */
  public readonly service: kplus.Service;
  /** The httpd container. */
  public readonly container: kplus.Container;
  /** The init container that publishes the first tree. */
  public readonly initContainer: kplus.Container;
  /** The sync sidecar, when `syncInterval` is set (an init container when `nativeSidecar`). */
  public readonly syncContainer?: kplus.Container;
  /** The scripts the git containers run. */
  public readonly script: GitCloneScript;

  /**
   * Adds the Deployment and the Service to `scope`. Bad props throw here, naming the
   * construct path, the prop, the value and the rule.
   * @param scope the chart or construct to add to
   * @param id the construct id; generated object names derive from its path
   * @param props the repository to serve and how
   */
  public constructor(scope: Construct, id: string, props: GitClonedSiteInitProps) {
    super(scope, id);
    const ctx = PropContext.of(this);
    const name = props.deploymentName === undefined ? undefined : checkDnsSubdomain(ctx, 'deploymentName', props.deploymentName);
    const labels = checkLabels(ctx, 'labels', props.labels ?? {});
    const replicas = checkIntegerRange(ctx, 'replicas', props.replicas ?? 2, 0, 2147483647, 'a number of replicas');
    const securityPreset = props.securityPreset ?? defaultHttpdSecurity();
    if (props.credentials && securityPreset.podSecurityContext.fsGroup === undefined) {
      throw ctx.error(
        'credentials',
        props.credentials.kind,
        'need a pod fsGroup, through which the non-root git user reads the Secret: use a securityPreset with a group (SecurityPreset.restricted())',
      );
    }

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      // An explicit `name: undefined` would replace the generated name (and Kubernetes
      // needs one), so the key is only set when given.
      metadata: { ...(name === undefined ? {} : { name }), labels },
      podMetadata: { labels },
      replicas,
    });
    const volume = kplus.Volume.fromEmptyDir(this, 'GitSiteVolume', 'git-site');
    // httpd reads the tree through the symlink: the stock httpd.conf grants access to
    // htdocs and follows symlinks, and a symlink in DocumentRoot is resolved per request,
    // so each switch is seen at once. Read-only: only the git containers write.
    this.container = addHttpdContainer(this, this.deployment, ctx, {
      image: props.image,
      name: props.containerName,
      imagePullPolicy: props.imagePullPolicy,
      resources: props.resources,
      securityPreset,
      htdocsVolume: volume,
      htdocsReadOnly: true,
      command: ['httpd-foreground', '-c', `DocumentRoot "${HTTPD.htdocsPath}/${GIT_CLONE_LAYOUT.linkName}"`],
    }).container;
    const git = addGitSiteContainers(this, this.deployment, ctx, props, volume);
    this.initContainer = git.initContainer;
    this.syncContainer = git.syncContainer;
    this.script = git.script;
    this.service = addHttpService(this, ctx, this.deployment, HTTPD.port, props, labels);
    addStandardSynthChecks(this);
  }
}
