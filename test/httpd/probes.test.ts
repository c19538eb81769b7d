import { ApiObject, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  GitClonedSiteInit,
  HttpdProbeOptions,
  HttpdWithPostStart,
  httpdLivenessProbe,
  httpdReadinessProbe,
  PreStopAuditedPod,
} from '../../lib';
import { Manifest, newChart, synthValid } from '../support/manifests';

const repository = 'https://git.example.com/org/site.git';

function httpdOf(build: (chart: Chart) => void): Manifest {
  const chart = newChart();
  build(chart);
  const workload = synthValid(chart).find((m) => m.kind === 'Pod' || m.kind === 'Deployment');
  const spec = workload.kind === 'Pod' ? workload.spec : workload.spec.template.spec;
  return spec.containers[0];
}

const LIVENESS = { tcpSocket: { port: 80 }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 };
const readiness = (path: string) => ({
  httpGet: { path, port: 80, scheme: 'HTTP' },
  periodSeconds: 5,
  timeoutSeconds: 2,
  failureThreshold: 3,
});

type Build = (props: HttpdProbeOptions) => (chart: Chart) => void;
const CONSTRUCTS: [string, Build, string][] = [
  // The page appears when the postStart hook has written it: until then httpd answers 404.
  ['HttpdWithPostStart', (props) => (chart) => new HttpdWithPostStart(chart, 'web', props), '/index.html'],
  // The init container publishes the tree before httpd starts; / answers while the link resolves.
  ['GitClonedSiteInit', (props) => (chart) => new GitClonedSiteInit(chart, 'site', { repository, ...props }), '/'],
  ['PreStopAuditedPod', (props) => (chart) => new PreStopAuditedPod(chart, 'audited', props), '/index.html'],
];

describe.each(CONSTRUCTS)('%s: probes of httpd', (_name, build, path) => {
  test('by default: HTTP readiness of what it serves, a lenient TCP liveness, no startup probe', () => {
    const httpd = httpdOf(build({}));
    expect(httpd.readinessProbe).toEqual(readiness(path));
    expect(httpd.livenessProbe).toEqual(LIVENESS);
    expect(httpd.startupProbe).toBeUndefined();
  });

  test('overridable, and removable with false', () => {
    const httpd = httpdOf(
      build({
        readiness: kplus.Probe.fromTcpSocket({ port: 80 }),
        liveness: false,
        startup: kplus.Probe.fromTcpSocket({ port: 80, failureThreshold: 30, periodSeconds: Duration.seconds(2) }),
      }),
    );
    expect(httpd.readinessProbe).toEqual({ tcpSocket: { port: 80 }, failureThreshold: 3 });
    expect(httpd.livenessProbe).toBeUndefined();
    expect(httpd.startupProbe).toEqual({ tcpSocket: { port: 80 }, failureThreshold: 30, periodSeconds: 2 });
    expect(httpdOf(build({ readiness: false })).readinessProbe).toBeUndefined();
  });

  test("readiness and liveness differ, as kube-score's pod-probes asks", () => {
    const httpd = httpdOf(build({}));
    expect(httpd.readinessProbe.httpGet).toBeDefined();
    expect(httpd.livenessProbe.httpGet).toBeUndefined();
  });
});

describe('the readiness path follows the page', () => {
  test.each([
    [{ fileName: 'hello page.html' }, '/hello%20page.html'],
    [{ fileName: 'a?b#c%.html' }, '/a%3Fb%23c%25.html'],
    [{ htdocsPath: '/usr/local/apache2/htdocs/sub dir' }, '/sub%20dir/index.html'],
    // A document root of the user's own config: only the file name is known.
    [{ htdocsPath: '/srv/www', fileName: 'p.html' }, '/p.html'],
  ])('%j: GET %s', (props, path) => {
    expect(httpdOf((chart) => new HttpdWithPostStart(chart, 'web', props)).readinessProbe.httpGet.path).toBe(path);
  });

  test('PreStopAuditedPod without its postStart page: the document root', () => {
    expect(httpdOf((chart) => new PreStopAuditedPod(chart, 'audited', { postStart: false })).readinessProbe.httpGet.path).toBe('/');
  });
});

describe('the git-sync sidecar', () => {
  test('has no probes: it serves nothing, and the kubelet restarts it when it exits', () => {
    const chart = newChart();
    new GitClonedSiteInit(chart, 'site', { repository, syncInterval: Duration.seconds(30) });
    const deployment = synthValid(chart).find((m) => m.kind === 'Deployment');
    const sync = deployment.spec.template.spec.containers[1];
    expect(sync.name).toBe('git-sync');
    expect([sync.readinessProbe, sync.livenessProbe, sync.startupProbe]).toEqual([undefined, undefined, undefined]);
  });
});

test('the probe builders are shared building blocks', () => {
  expect(httpdLivenessProbe()).toBe(httpdLivenessProbe());
  const pod = new kplus.Pod(newChart(), 'pod');
  pod.addContainer({ name: 'web', image: 'httpd:2.4.69', ports: [{ number: 80 }], readiness: httpdReadinessProbe('/healthz') });
  expect(ApiObject.of(pod).toJson().spec.containers[0].readinessProbe.httpGet.path).toBe('/healthz');
});
