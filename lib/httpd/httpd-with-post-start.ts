import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { metadataWithName } from '../core/defaults';
import { PropContext } from '../core/errors';
import { HTTPD } from '../core/images';
import { checkAbsolutePath, checkDnsSubdomain, checkLabels } from '../core/prop-checks';
import { addStandardSynthChecks } from '../synth-checks/checks';
import { applyDrainDelay, checkDrainOptions, DrainDelay, DrainOptions } from '../blocks/drain-delay';
import {
  buildHttpdContainer,
  CheckedHttpdContainer,
  checkHttpdContainerOptions,
  HttpdPodOptions,
  httpdReadinessProbe,
} from '../blocks/httpd-container';
import { buildHttpService, CheckedHttpService, checkHttpServiceOptions, HttpServiceOptions } from '../blocks/http-service';
import { PageContentFrom, postStartPageHook, postStartPageMount, postStartPageUrlPath } from '../blocks/post-start-page';
import { WriteFileHook } from '../blocks/write-file-hook';

/** Properties of {@link HttpdWithPostStart}. */
export interface HttpdWithPostStartProps extends HttpdPodOptions, HttpServiceOptions, DrainOptions {
  /**
   * The page: a string is written exactly; lines are each followed by a newline.
   * Written literally, whatever characters it holds.
   * @default DEFAULT_POST_START_CONTENT
   */
  readonly content?: string | readonly string[];
  /**
   * Take the page from a ConfigMap key instead of `content`: for pages larger than the
   * hook's script can hold (one exec argument, about 128 KiB). The ConfigMap is mounted
   * read-only at `/etc/post-start-page` and the hook copies the key's file into htdocs
   * atomically when the container starts (a later change of the ConfigMap reaches the
   * page at the next container start).
   * @default - the page is `content`
   */
  readonly contentFrom?: PageContentFrom;
  /**
   * Start the page with `the date is: <date>`, taken when the hook runs.
   * @default - true with `content`; false with `contentFrom`, whose page is written exactly
   */
  readonly prependDate?: boolean;
  /**
   * The page's file name inside htdocs.
   * @default 'index.html'
   */
  readonly fileName?: string;
  /**
   * The document root the hook writes into and the htdocs volume is mounted at.
   * @default '/usr/local/apache2/htdocs'
   */
  readonly htdocsPath?: string;
  /**
   * The shell that runs the hook.
   * @default '/bin/sh'
   */
  readonly shell?: string;
  /**
   * Overrides the image's entrypoint. The postStart hook runs alongside whatever this starts.
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * Overrides the image's CMD.
   * @default - the image's CMD (`httpd-foreground`)
   */
  readonly args?: string[];
}

/**
 * An `httpd` Pod whose postStart exec hook writes a page into htdocs, and a Service
 * (NodePort by default) that exposes it, so `curl` shows the page.
 *
 * The hook runs in parallel with httpd's entrypoint: it depends on nothing httpd does,
 * creates the directory if needed and replaces the page atomically. htdocs and logs are
 * emptyDirs, so the root filesystem stays read-only.
 */
export class HttpdWithPostStart extends Construct {
  /** The Pod running httpd. */
  public readonly pod: kplus.Pod;
  /** The Service exposing the Pod's port 80. */
  public readonly service: kplus.Service;
  /** The httpd container. */
  public readonly container: kplus.Container;
  /** The postStart hook that writes the page. */
  public readonly postStartHook: WriteFileHook;
  /**
   * The preStop delay before httpd's stop signal (`seconds` 0: none), with its exec
   * `command` as plain data for a container of another cdk8s-plus version.
   */
  public readonly drain: Readonly<DrainDelay>;

  /**
   * Adds the Pod and the Service to `scope`. Bad props throw here, naming the construct
   * path, the prop, the value and the rule.
   * @param scope the chart or construct to add to
   * @param id the construct id; generated object names derive from its path
   * @param props what to serve and how; every prop is optional
   */
  public constructor(scope: Construct, id: string, props: HttpdWithPostStartProps = {}) {
    super(scope, id);
    // The page's ConfigMap mount is a prop of the container (its path must be free).
    const pageMount = postStartPageMount(this, props.contentFrom);
    const checked = checkHttpdWithPostStartProps(PropContext.of(this), props, pageMount);
    this.postStartHook = checked.hook;
    this.drain = checked.drain;
    this.pod = new kplus.Pod(this, 'Pod', {
      metadata: metadataWithName(checked.podName, checked.labels),
      terminationGracePeriod: Duration.seconds(this.drain.gracePeriodSeconds),
    });
    this.container = buildHttpdContainer(this, this.pod, checked.httpd).container;
    applyDrainDelay(this, { workload: this.pod, container: this.container, drain: this.drain, containerHasLifecycle: true });
    this.service = buildHttpService(this, this.pod, HTTPD.port, checked.service, checked.labels);
    // Labels, mounts and volumes can still be changed after this constructor (JSON patches,
    // setManifestField): check the final manifests when the app is synthesized.
    addStandardSynthChecks(this);
  }
}

/** The props of {@link HttpdWithPostStart}, checked. */
interface CheckedHttpdWithPostStart {
  readonly podName?: string;
  readonly labels: Record<string, string>;
  readonly hook: WriteFileHook;
  readonly drain: DrainDelay;
  readonly httpd: CheckedHttpdContainer;
  readonly service: CheckedHttpService;
}

// Every prop check of HttpdWithPostStart, before anything is built.
function checkHttpdWithPostStartProps(
  ctx: PropContext,
  props: HttpdWithPostStartProps,
  pageMount: kplus.VolumeMount | undefined,
): CheckedHttpdWithPostStart {
  const podName = props.podName === undefined ? undefined : checkDnsSubdomain(ctx, 'podName', props.podName);
  const labels = checkLabels(ctx, 'labels', props.labels ?? {});
  const htdocsPath = checkAbsolutePath(ctx, 'htdocsPath', props.htdocsPath ?? HTTPD.htdocsPath);
  const hook = postStartPageHook(ctx, {
    htdocsPath,
    fileName: props.fileName,
    content: props.content,
    contentFrom: props.contentFrom,
    prependDate: props.prependDate,
    shell: props.shell,
  });
  const drain = checkDrainOptions(ctx, props.containerName ?? 'httpd', props);
  const httpd = checkHttpdContainerOptions(ctx, {
    image: props.image,
    name: props.containerName,
    htdocsPath,
    command: props.command,
    args: props.args,
    resources: props.resources,
    imagePullPolicy: props.imagePullPolicy,
    securityPreset: props.securityPreset,
    lifecycle: { postStart: hook.handler, preStop: drain.handler },
    // Ready once the hook wrote the page: httpd answers 404 for it before.
    readiness: props.readiness ?? httpdReadinessProbe(postStartPageUrlPath(htdocsPath, props.fileName)),
    liveness: props.liveness,
    startup: props.startup,
    volumeMounts: pageMount ? [pageMount] : [],
  });
  return { podName, labels, hook, drain, httpd, service: checkHttpServiceOptions(ctx, props) };
}
