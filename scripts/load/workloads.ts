// The workloads the load harness measures, each a Deployment of 3 behind a Service: the
// library's defaults (with the kit's exec readiness probe in place of the HTTP one, which the
// kit refuses: it would leave the machine) and the seed-style manifest (no probe, no drain
// delay). GitClonedSiteInit reads from the suite's in-cluster https git server.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { gitSite, kitProbes } from '../../test/e2e/support/charts';
import { HostRepo, gitServerObjects } from '../../test/e2e/support/git-server';
import { Json, apply, chartYaml, kubectl, objectsYaml, waitFor, waitPodReady } from '../../test/e2e/support/kube';
import { HttpdWithPostStart } from '../../test/e2e/support/lib';

/** A workload under load: its Deployment and Service names. */
export interface Workload {
  readonly deployment: string;
  readonly service: string;
}

const REPLICAS = 3;

function service(namespace: string, name: string, labels: Json): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: labels, ports: [{ port: 80, targetPort: 80, name: 'http' }] },
  };
}

function deploymentOf(namespace: string, name: string, labels: Json, podSpec: Json): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { replicas: REPLICAS, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
  };
}

/**
 * HttpdWithPostStart's pod with the library's defaults (postStart page, readiness probe, 5 s
 * drain delay in a 30 s grace period, restricted preset) as the template of a Deployment.
 */
export function httpdDefaults(namespace: string): Json[] {
  const chart = new Chart(new App(), 'load', { namespace });
  new HttpdWithPostStart(chart, 'web', {
    podName: 'web',
    serviceName: 'web',
    serviceType: kplus.ServiceType.CLUSTER_IP,
    labels: { 'load-app': 'web' },
    ...kitProbes('/index.html'),
  });
  const pod = chart.toJson().find((o: Json) => o.kind === 'Pod');
  return [deploymentOf(namespace, 'web', pod.metadata.labels, pod.spec), service(namespace, 'web', pod.metadata.labels)];
}

/** The seed's pod (a bash postStart writing index.html, no probe, no preStop) as a Deployment. */
export function httpdSeed(namespace: string): Json[] {
  const labels = { component: 'httpd' };
  const spec = {
    containers: [
      {
        name: 'cntr-httpd',
        image: 'httpd:2.4.65',
        imagePullPolicy: 'IfNotPresent',
        lifecycle: {
          postStart: {
            exec: {
              command: [
                '/bin/bash',
                '-c',
                'echo "the date is: $(date)" > /usr/local/apache2/htdocs/index.html\n' +
                  "echo 'This content was created by the postStart hook' >> /usr/local/apache2/htdocs/index.html\n",
              ],
            },
          },
        },
        ports: [{ containerPort: 80 }],
      },
    ],
  };
  return [deploymentOf(namespace, 'web', labels, spec), service(namespace, 'web', labels)];
}

/** The in-cluster git server (https, a private CA) and its repository; returns the clone URL and CA. */
export async function startGitServer(namespace: string, repo: HostRepo, hostDir: string): Promise<{ url: string; ca: string }> {
  await apply(objectsYaml(gitServerObjects(namespace, 'git-server', hostDir)));
  const ip = await waitFor(
    'the git server pod IP',
    async () => (await kubectl(['get', 'pod', '-n', namespace, 'git-server', '-o', 'jsonpath={.status.podIP}'])).stdout.trim() || undefined,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const ca = repo.issueCertificate(ip);
  await waitPodReady(namespace, 'git-server', 60_000);
  return { url: `https://${ip}/git/site.git`, ca };
}

/** GitClonedSiteInit, 3 replicas, syncing every `syncSeconds`: the defaults, or bare (no probe, no drain delay). */
export function gitSiteObjects(namespace: string, url: string, ca: string, syncSeconds: number, bare: boolean): string {
  const { chart } = gitSite({ namespace, name: 'site', repository: url, ref: 'main', syncSeconds, caBundle: ca, replicas: REPLICAS, bare });
  return chartYaml(chart);
}

/** Applies `objects` and waits for the rollout. */
export async function deploy(namespace: string, yaml: string, name: string): Promise<void> {
  await apply(yaml);
  await kubectl(['rollout', 'status', '-n', namespace, `deployment/${name}`, '--timeout=180s'], { timeoutMs: 200_000 });
}
