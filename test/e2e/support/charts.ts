// The charts the end-to-end suite applies, built in-process with cdk8s. The API-server test
// dry-runs every one of them too (the suite's own variants), with placeholder values.
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  GitCertificateAuthority,
  GitClonedSiteInit,
  GitCredentials,
  HttpdWithPostStart,
  PreStopAuditCollector,
  PreStopAuditedPod,
  SHARED_DIRECTORY_PROP,
  SecurityPreset,
} from './lib';
import type { Json } from './kube';

/** Page lines that break naive shell scripts, and non-ASCII: each must be served byte for byte. */
export const HOSTILE_LINES: readonly string[] = [
  'This content was created by the postStart hook',
  "'; rm -rf / #",
  '$(id) and ${HOME} and $HOME $$ $0',
  '`id` and `touch /tmp/PWNED`',
  `single ' and double " quotes, "'" and '"'`,
  '"; rm -rf / ; echo "',
  'back\\slash \\n \\t \\\\ and %s %d %n %%',
  '-n',
  '  leading and trailing spaces  ',
  'glob * ? [a-z] semi; pipe | amp & redirect > /tmp/PWNED',
  'héllo wörld 日本語 🚀',
  '',
];

/**
 * The probes the suite gives httpd instead of the library's HTTP and TCP ones. The kubelet
 * runs those from the node to the pod IP, and on the cluster kit the node has no route to
 * the pod network: the probe leaves through the machine's default route, to an address that
 * is not the pod (a 404 from someone else's server, and traffic off the node). This exec
 * probe asks the same question from inside the pod, over loopback: does httpd answer `path`
 * with 200? No liveness probe: the suite's pods live for a minute.
 */
export function kitProbes(path: string): { readiness: kplus.Probe; liveness: false } {
  const script =
    'exec 3<>/dev/tcp/127.0.0.1/80 && printf \'GET %s HTTP/1.0\\r\\n\\r\\n\' "$1" >&3 && IFS= read -r status <&3 && case $status in *" 200 "*) exit 0 ;; esac; exit 1';
  return {
    readiness: kplus.Probe.fromCommand(['/bin/bash', '-c', script, 'probe', path], {
      periodSeconds: Duration.seconds(2),
      failureThreshold: 3,
    }),
    liveness: false,
  };
}

function newChart(id: string, namespace: string): Chart {
  return new Chart(new App(), id, { namespace });
}

export interface PostStartSiteOptions {
  readonly namespace: string;
  readonly podName: string;
  readonly content?: string | readonly string[];
  readonly shell?: string;
  readonly securityPreset?: SecurityPreset;
  /** The pod's terminationGracePeriodSeconds, with no drain delay. @default - the library's 30 s and its 5 s drain delay */
  readonly gracePeriodSeconds?: number;
}

/** HttpdWithPostStart with a ClusterIP Service named like the pod. */
export function postStartSite(options: PostStartSiteOptions): { chart: Chart; site: HttpdWithPostStart } {
  const chart = newChart('httpd-post-start', options.namespace);
  const site = new HttpdWithPostStart(chart, 'web', {
    podName: options.podName,
    serviceName: options.podName,
    serviceType: kplus.ServiceType.CLUSTER_IP,
    labels: { 'e2e-app': options.podName },
    content: options.content ?? HOSTILE_LINES,
    shell: options.shell,
    securityPreset: options.securityPreset,
    // A short grace period leaves no room for the drain delay, which the library then refuses.
    ...(options.gracePeriodSeconds === undefined
      ? {}
      : { terminationGracePeriod: Duration.seconds(options.gracePeriodSeconds), drainDelay: Duration.seconds(0) }),
    ...kitProbes('/index.html'),
  });

  return { chart, site };
}

export interface AuditedPodSpec {
  readonly podName: string;
  readonly preStopDelaySeconds?: number;
  readonly gracePeriodSeconds?: number;
}

export interface AuditChartsOptions {
  readonly namespace: string;
  /** The node directory of this run (replaces the library's default hostPath). */
  readonly hostPath: string;
  readonly pods: readonly AuditedPodSpec[];
  readonly collectorName: string;
  /** Seconds the cleanup sleeps after recording its run. */
  readonly cleanupSleepSeconds?: number;
  readonly pollSeconds?: number;
}

/** The file in the audit directory the suite's cleanup appends one line to per run. */
export const CLEANUP_LOG = 'cleanup-runs.log';

/**
 * PreStopAuditedPods and a PreStopAuditCollector sharing one audit log. The collector's
 * cleanup appends `<namespace> <pod> <uid> <node> <attempt> <collector pod>` to {@link CLEANUP_LOG} in the
 * audit directory, so the suite can count its runs. `pods()` and `collector()` are the two
 * halves as separate object lists.
 */
export function auditCharts(options: AuditChartsOptions) {
  const podsChart = newChart('audited-pods', options.namespace);
  let shared: PreStopAuditedPod[typeof SHARED_DIRECTORY_PROP] | undefined;
  const audited = options.pods.map((p) => {
    const pod = new PreStopAuditedPod(podsChart, p.podName, {
      [SHARED_DIRECTORY_PROP]: shared,
      podName: p.podName,
      serviceName: p.podName,
      serviceType: kplus.ServiceType.CLUSTER_IP,
      labels: { 'e2e-app': p.podName },
      preStopDelay: p.preStopDelaySeconds === undefined ? undefined : Duration.seconds(p.preStopDelaySeconds),
      terminationGracePeriod: p.gracePeriodSeconds === undefined ? undefined : Duration.seconds(p.gracePeriodSeconds),
      flagLines: ['team=e2e', "quote ' and $(id) stay literal"],
      ...kitProbes('/index.html'),
    });
    shared = pod[SHARED_DIRECTORY_PROP];
    return pod;
  });
  const collectorChart = newChart('audit-collector', options.namespace);
  const mount = audited[0]?.[SHARED_DIRECTORY_PROP].mountPath ?? '/preStopScriptOutput';
  const sleepSeconds = options.cleanupSleepSeconds ?? 0;
  const collector = new PreStopAuditCollector(collectorChart, 'collector', {
    [SHARED_DIRECTORY_PROP]: shared,
    name: options.collectorName,
    labels: { 'e2e-app': options.collectorName },
    pollInterval: Duration.seconds(options.pollSeconds ?? 2),
    cleanupTimeout: Duration.seconds(20),
    cleanupCommand: [
      '/bin/sh',
      '-c',
      'printf "%s %s %s %s %s %s\\n" "$POD_NAMESPACE" "$POD_NAME" "$POD_UID" "$NODE_NAME" "$CLEANUP_ATTEMPT" "$(hostname)" >> "$1/' +
        CLEANUP_LOG +
        '" && sleep "$2"',
      'cleanup',
      mount,
      String(sleepSeconds),
    ],
  });
  const defaultHostPath = collector[SHARED_DIRECTORY_PROP].hostPath;
  const relocate = (objects: Json[]) => relocateHostPath(objects, defaultHostPath, options.hostPath);
  return {
    audited,
    collector,
    mountPath: mount,
    pods: () => relocate(podsChart.toJson()),
    collectorObjects: () => relocate(collectorChart.toJson()),
  };
}

/**
 * Points every `hostPath` volume at `from` to `to` in synthesized objects, so each run of
 * the suite has a node directory of its own.
 */
export function relocateHostPath(objects: Json[], from: string, to: string): Json[] {
  for (const o of objects) {
    const spec = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
    for (const v of spec?.volumes ?? []) {
      // The audited pods mount <from>/incoming, the collector <from> itself.
      const path: string | undefined = v.hostPath?.path;
      if (path === from || path?.startsWith(`${from}/`)) v.hostPath.path = to + path.slice(from.length);
    }
  }
  return objects;
}

export interface GitSiteOptions {
  readonly namespace: string;
  readonly name: string;
  readonly repository: string;
  readonly ref?: string;
  readonly syncSeconds?: number;
  readonly nativeSidecar?: boolean;
  /** Which submodules to clone. @default - the library's 'off' */
  readonly submodules?: 'off' | 'shallow' | 'recursive';
  /** The directory to serve. @default - the whole repository */
  readonly subPath?: string;
  /** Run by the sync sidecar after each published tree. @default - none */
  readonly afterUpdateCommand?: string[];
  /** The PEM of the CA that signed the git server's certificate, given to the site through a ConfigMap. @default - none: the image's own trust */
  readonly caBundle?: string;
  /** The drain delay as the kubelet's preStop `sleep` action (drainWithSleepAction, 1.30+). @default - the library's exec sleep of 5 s */
  readonly drainSleepActionSeconds?: number;
  /** Credentials for a private repository. @default - none */
  readonly credentials?: GitCredentials;
  /** @default 1 */
  readonly replicas?: number;
  /** No readiness probe and no drain delay (the baseline of the load harness). @default false */
  readonly bare?: boolean;
}

/** GitClonedSiteInit, one replica, ClusterIP. */
export function gitSite(options: GitSiteOptions): { chart: Chart; site: GitClonedSiteInit } {
  const chart = newChart(options.name, options.namespace);
  const site = new GitClonedSiteInit(chart, 'site', {
    repository: options.repository,
    ref: options.ref,
    replicas: options.replicas ?? 1,
    deploymentName: options.name,
    serviceName: options.name,
    serviceType: kplus.ServiceType.CLUSTER_IP,
    labels: { 'e2e-app': options.name },
    syncInterval: options.syncSeconds === undefined ? undefined : Duration.seconds(options.syncSeconds),
    nativeSidecar: options.nativeSidecar,
    afterUpdateCommand: options.afterUpdateCommand,
    submodules: options.submodules,
    subPath: options.subPath,
    credentials: options.credentials,
    certificateAuthority:
      options.caBundle === undefined
        ? undefined
        : GitCertificateAuthority.fromConfigMap(
            new kplus.ConfigMap(chart, 'git-ca', { metadata: { name: `${options.name}-git-ca` }, data: { 'ca.crt': options.caBundle } }),
          ),
    ...(options.drainSleepActionSeconds === undefined
      ? {}
      : { drainDelay: Duration.seconds(options.drainSleepActionSeconds), drainWithSleepAction: true }),
    ...(options.bare ? { readiness: false, liveness: false, drainDelay: Duration.seconds(0) } : kitProbes('/')),
  });
  return { chart, site };
}
