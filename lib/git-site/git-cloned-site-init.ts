import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DEFAULT_SECURITY_PRESETS, metadataWithName } from '../core/defaults';
import { PropContext } from '../core/errors';
import { HTTPD } from '../core/images';
import { MAX_INT32 } from '../core/limits';
import { checkDnsSubdomain, checkIntegerRange, checkLabels } from '../core/prop-checks';
import { applyDrainDelay, checkDrainOptions, DrainDelay, DrainOptions } from '../blocks/drain-delay';
import { buildHttpdContainer, CheckedHttpdContainer, checkHttpdContainerOptions, HttpdOptions } from '../blocks/httpd-container';
import { buildHttpService, CheckedHttpService, checkHttpServiceOptions, HttpServiceOptions } from '../blocks/http-service';
import { addStandardSynthChecks } from '../synth-checks/checks';
import { GitCloneScript } from './git-clone-script';
import { GIT_CLONE_LAYOUT } from './git-update-script';
import {
  buildGitSiteContainers,
  CheckedGitSite,
  checkGitSiteOptions,
  GitSiteContainersOptions,
  gitSiteVolume,
} from './git-site-containers';

/** Properties of {@link GitClonedSiteInit}. */
export interface GitClonedSiteInitProps extends GitSiteContainersOptions, HttpServiceOptions, HttpdOptions, DrainOptions {
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
   * Add a PodDisruptionBudget (`policy/v1`, `maxUnavailable: 1`) that selects the pods, so
   * a node drain or a cluster upgrade evicts one replica at a time and the site keeps
   * serving. Its name is `deploymentName` when given.
   * @default - true with more than one replica
   */
  readonly podDisruptionBudget?: boolean;
  /**
   * Prefer to run the replicas on different nodes: a preferred pod anti-affinity on
   * `kubernetes.io/hostname` against the Deployment's own pods (cdk8s-plus
   * `scheduling.spread`, weight 100). Preferred, not required: on a cluster with fewer
   * nodes than replicas the extra pods still start.
   * @default - true with more than one replica
   */
  readonly spreadAcrossNodes?: boolean;
}

/**
 * A web site served from a git repository, built to survive production: a Deployment
 * whose init container clones a git branch, tag or commit into an emptyDir, an httpd
 * container that serves it (optionally one sub-directory), an optional sidecar that
 * keeps it current, and a Service (NodePort by default).
 *
 * A Deployment rather than a bare Pod: a site should come back when its node goes away,
 * roll out a new image or repository without downtime, and run more than one copy.
 *
 * The clone is shallow and of one ref; each update fetches only the new commit into the
 * one repository in the volume and checks it out into a fresh snapshot directory, so a
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
   * The PodDisruptionBudget of the pods, when `podDisruptionBudget` (more than one replica by default).
   * @default - none
   */
  public readonly podDisruptionBudget?: kplus.k8s.KubePodDisruptionBudget;
  /**
   * The preStop delay before httpd's stop signal (`seconds` 0: none), with its exec
   * `command` as plain data for a container of another cdk8s-plus version.
   */
  public readonly drain: Readonly<DrainDelay>;

  /**
   * Adds the Deployment and the Service to `scope`. Bad props throw here, naming the
   * construct path, the prop, the value and the rule.
   * @param scope the chart or construct to add to
   * @param id the construct id; generated object names derive from its path
   * @param props the repository to serve and how
   */
  public constructor(scope: Construct, id: string, props: GitClonedSiteInitProps) {
    super(scope, id);
    const checked = checkGitClonedSiteProps(PropContext.of(this), props);
    this.drain = checked.drain;
    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: metadataWithName(checked.name, checked.labels),
      podMetadata: { labels: checked.labels },
      replicas: checked.replicas,
      terminationGracePeriod: Duration.seconds(this.drain.gracePeriodSeconds),
    });
    if (props.spreadAcrossNodes ?? checked.replicas > 1) {
      this.deployment.scheduling.spread({ topology: kplus.Topology.HOSTNAME, weight: 100 });
    }
    const volume = gitSiteVolume(this, props.siteSizeLimit);
    this.container = buildHttpdContainer(this, this.deployment, checked.httpd, volume).container;
    applyDrainDelay(this, { workload: this.deployment, container: this.container, drain: this.drain });
    const git = buildGitSiteContainers(this, this.deployment, checked.git, volume);
    this.initContainer = git.initContainer;
    this.syncContainer = git.syncContainer;
    this.script = git.script;
    this.service = buildHttpService(this, this.deployment, HTTPD.port, checked.service, checked.labels);
    if (props.podDisruptionBudget ?? checked.replicas > 1) {
      this.podDisruptionBudget = new kplus.k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
        metadata: metadataWithName(checked.name, checked.labels),
        // The Deployment's own selector (its unique cdk8s address label): exactly its pods.
        spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: this.deployment.matchLabels } },
      });
    }
    addStandardSynthChecks(this);
  }
}

/** The props of {@link GitClonedSiteInit}, checked. */
interface CheckedGitClonedSite {
  readonly name?: string;
  readonly labels: Record<string, string>;
  readonly replicas: number;
  readonly drain: DrainDelay;
  readonly httpd: CheckedHttpdContainer;
  readonly git: CheckedGitSite;
  readonly service: CheckedHttpService;
}

// Every prop check of GitClonedSiteInit, before anything is built.
function checkGitClonedSiteProps(ctx: PropContext, props: GitClonedSiteInitProps): CheckedGitClonedSite {
  const name = props.deploymentName === undefined ? undefined : checkDnsSubdomain(ctx, 'deploymentName', props.deploymentName);
  const labels = checkLabels(ctx, 'labels', props.labels ?? {});
  const replicas = checkIntegerRange(ctx, 'replicas', props.replicas ?? 2, 0, MAX_INT32, 'a number of replicas');
  const securityPreset = props.securityPreset ?? DEFAULT_SECURITY_PRESETS.httpd;
  if (props.credentials && securityPreset.podSecurityContext.fsGroup === undefined) {
    throw ctx.error(
      'CREDENTIALS',
      'credentials',
      props.credentials.kind,
      'credentials need a pod fsGroup, through which the non-root git user reads the Secret: use a securityPreset with a group (SecurityPreset.restricted())',
    );
  }
  const drain = checkDrainOptions(ctx, props.containerName ?? 'httpd', props);
  // httpd reads the tree through the symlink: the stock httpd.conf grants access to
  // htdocs and follows symlinks, and a symlink in DocumentRoot is resolved per request,
  // so each switch is seen at once. Read-only: only the git containers write.
  const httpd = checkHttpdContainerOptions(ctx, {
    image: props.image,
    name: props.containerName,
    imagePullPolicy: props.imagePullPolicy,
    resources: props.resources,
    securityPreset,
    htdocsReadOnly: true,
    command: ['httpd-foreground', '-c', `DocumentRoot "${HTTPD.htdocsPath}/${GIT_CLONE_LAYOUT.linkName}"`],
    lifecycle: drain.handler && { preStop: drain.handler },
    // The default readiness, GET /: the init container publishes the tree before httpd
    // starts, and / answers 200 (the site's index, or the stock config's directory
    // listing) while the symlink resolves.
    readiness: props.readiness,
    liveness: props.liveness,
    startup: props.startup,
  });
  const git = checkGitSiteOptions(ctx, props, [httpd.name]);
  return { name, labels, replicas, drain, httpd, git, service: checkHttpServiceOptions(ctx, props) };
}
