import { ApiObject, App, Chart, Cron, Duration, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { addStandardSynthChecks, addSynthCheck, gracePeriodProblems, HttpdWithPostStart } from '../../lib';
import { checkObjects } from '../../lib/testing';
import { synthValid } from '../support/manifests';

const ADDR_LABEL_POINTER = '/metadata/labels/cdk8s.io~1metadata.addr';

function appAndChart(props: { namespace?: string } = {}): { app: App; chart: Chart } {
  const app = Testing.app();
  return { app, chart: new Chart(app, 'site', props) };
}

/** The error `app.synth()` throws, or a failure when it does not throw. */
function synthError(app: App): string {
  try {
    app.synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('app.synth() did not throw');
}

const container = { image: 'busybox:1.36', portNumber: 8080 };

/** The problems the synth checks report on `scope` (every API object of the app is checked). */
function problemsOf(scope: Construct): string[] {
  const app = scope.node.root as App;
  const manifests = app.charts.flatMap((c) => c.toJson());
  const paths = app.node
    .findAll()
    .filter((c): c is ApiObject => ApiObject.isApiObject(c))
    .map((o) => o.node.path);
  return checkObjects(manifests)
    .filter((f) => paths[f.index].startsWith(`${scope.node.path}/`))
    .map((f) => `${f.message} [${f.rule}]`);
}

describe('service-selects-nothing', () => {
  test('a Service selecting its Deployment, a Pod, or a pod in another chart of the app has no problem', () => {
    const { app, chart } = appAndChart();
    const deployment = new kplus.Deployment(chart, 'api', { containers: [container] });
    const viaDeployment = deployment.exposeViaService();
    const pod = new kplus.Pod(chart, 'pod', { containers: [container], metadata: { labels: { app: 'pod' } } });
    const viaPod = new kplus.Service(chart, 'pod-svc', { selector: pod, ports: [{ port: 80 }] });
    const other = new Chart(app, 'other');
    const viaLabel = new kplus.Service(other, 'by-label', { ports: [{ port: 80 }] });
    viaLabel.selectLabel('app', 'pod');
    for (const service of [viaDeployment, viaPod, viaLabel]) expect(problemsOf(service)).toEqual([]);
    synthValid(chart);
  });

  test('a Service selecting a CronJob or Job template has no problem', () => {
    const { chart } = appAndChart();
    new kplus.CronJob(chart, 'cron', { schedule: Cron.hourly(), containers: [container] });
    const service = new kplus.Service(chart, 'svc', { ports: [{ port: 80 }] });
    const cronLabels = Testing.synth(chart)[0].spec.jobTemplate.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(cronLabels as Record<string, string>)) service.selectLabel(k, v);
    expect(problemsOf(service)).toEqual([]);
  });

  test("a custom resource's pod template counts; a built-in kind that runs no pods does not", () => {
    const { chart } = appAndChart();
    const template = { metadata: { labels: { app: 'canary' } }, spec: { containers: [container] } };
    new ApiObject(chart, 'rollout', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', spec: { template } });
    new ApiObject(chart, 'podtemplate', { apiVersion: 'v1', kind: 'PodTemplate', template: { metadata: { labels: { app: 'tpl' } } } });
    const canary = new kplus.Service(chart, 'canary', { ports: [{ port: 80 }] });
    canary.selectLabel('app', 'canary');
    const tpl = new kplus.Service(chart, 'tpl', { ports: [{ port: 80 }] });
    tpl.selectLabel('app', 'tpl');
    expect(problemsOf(canary)).toEqual([]);
    expect(problemsOf(tpl)).toEqual([expect.stringContaining('matches no Pod or pod template')]);
  });

  test('a Service whose selector matches nothing is reported with its kind, name, path and selector', () => {
    const { chart } = appAndChart();
    new kplus.Pod(chart, 'pod', { containers: [container], metadata: { labels: { app: 'web' } } });
    const service = new kplus.Service(chart, 'svc', { metadata: { name: 'svc' }, ports: [{ port: 80 }] });
    service.selectLabel('app', 'wbe');
    expect(problemsOf(service)).toEqual([
      `Service 'svc' at /spec/selector: selector {"app":"wbe"} matches no Pod or pod template without a namespace in the app, so the Service has no endpoints [service-selects-nothing]`,
    ]);
  });

  test('a pod in another namespace does not count', () => {
    const { app, chart } = appAndChart({ namespace: 'front' });
    new kplus.Pod(new Chart(app, 'back', { namespace: 'back' }), 'pod', { containers: [container], metadata: { labels: { app: 'web' } } });
    const service = new kplus.Service(chart, 'svc', { metadata: { name: 'svc' }, ports: [{ port: 80 }] });
    service.selectLabel('app', 'web');
    expect(problemsOf(service)).toEqual([expect.stringContaining('matches no Pod or pod template in namespace front in the app')]);
  });

  test('a Service without selector, an ExternalName Service and a non-Service have no problem', () => {
    const { chart } = appAndChart();
    const manual = new kplus.Service(chart, 'manual', { ports: [{ port: 80 }] });
    const external = new kplus.Service(chart, 'external', { type: kplus.ServiceType.EXTERNAL_NAME, externalName: 'example.com' });
    external.selectLabel('app', 'nothing');
    const pod = new kplus.Pod(chart, 'pod', { containers: [container] });
    for (const c of [manual, external, pod]) expect(problemsOf(c)).toEqual([]);
  });
});

describe('mount-without-volume', () => {
  test('mounts of volumes the pod has are fine, in Pods, Deployments and CronJobs', () => {
    const { chart } = appAndChart();
    const volume = kplus.Volume.fromEmptyDir(chart, 'data', 'data');
    const mounted = { ...container, volumeMounts: [{ path: '/data', volume }] };
    const workloads = [
      new kplus.Pod(chart, 'pod', { containers: [mounted] }),
      new kplus.Deployment(chart, 'deploy', { containers: [mounted] }),
      new kplus.CronJob(chart, 'cron', { schedule: Cron.hourly(), containers: [mounted] }),
    ];
    for (const w of workloads) expect(problemsOf(w)).toEqual([]);
  });

  test('every mount and device of a missing volume is reported with its JSON path, in every container list', () => {
    const { chart } = appAndChart();
    const deployment = new kplus.Deployment(chart, 'deploy', {
      metadata: { name: 'deploy' },
      containers: [{ ...container, name: 'main' }],
    });
    deployment.addInitContainer({ ...container, name: 'init' });
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/containers/0/volumeMounts', [{ name: 'cache', mountPath: '/cache' }]),
      JsonPatch.add('/spec/template/spec/initContainers/0/volumeDevices', [{ name: 'disk', devicePath: '/dev/xvda' }]),
    );
    expect(problemsOf(deployment)).toEqual([
      "Deployment 'deploy' at /spec/template/spec/initContainers/0/volumeDevices/0: container 'init' uses volume 'disk' at /dev/xvda, but the pod has no volume of that name [mount-without-volume]",
      "Deployment 'deploy' at /spec/template/spec/containers/0/volumeMounts/0: container 'main' uses volume 'cache' at /cache, but the pod has no volume of that name [mount-without-volume]",
    ]);
  });

  test('objects without a pod spec have no problem', () => {
    const { chart } = appAndChart();
    const config = new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', spec: { template: { spec: {} } } });
    expect(problemsOf(config)).toEqual([]);
  });
});

describe('gracePeriodProblems', () => {
  const need = { seconds: 45, reason: 'the preStop hook (sleep 40)' };

  test('the default 30 s is too short for a 45 s hook; the message names both and why it matters', () => {
    const { chart } = appAndChart();
    const pod = new kplus.Pod(chart, 'pod', { metadata: { name: 'pod' }, containers: [container] });
    ApiObject.of(pod).addJsonPatch(JsonPatch.remove('/spec/terminationGracePeriodSeconds'));
    expect(gracePeriodProblems(pod, need)).toEqual([
      "Pod 'pod' (site/pod/Resource): terminationGracePeriodSeconds is 30, but the preStop hook (sleep 40) needs 45; " +
        'the kubelet kills the containers when the grace period ends, even in the middle of the hook',
    ]);
  });

  test('a long enough grace period has no problem; one lowered later by a patch is caught', () => {
    const { chart } = appAndChart();
    const deployment = new kplus.Deployment(chart, 'deploy', { containers: [container], terminationGracePeriod: Duration.seconds(45) });
    expect(gracePeriodProblems(deployment, need)).toEqual([]);
    ApiObject.of(deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/terminationGracePeriodSeconds', 10));
    expect(gracePeriodProblems(deployment, need)).toEqual([expect.stringContaining('terminationGracePeriodSeconds is 10')]);
  });
});

/** A construct that registers its own rule, as PreStopAuditedPod is meant to. */
class HookedPod extends Construct {
  public readonly pod: kplus.Pod;
  public constructor(scope: Construct, id: string, hookSeconds: number) {
    super(scope, id);
    this.pod = new kplus.Pod(this, 'Pod', { containers: [container] });
    addStandardSynthChecks(this);
    addSynthCheck(this, () => gracePeriodProblems(this.pod, { seconds: hookSeconds, reason: `a ${hookSeconds} s preStop hook` }));
  }
}

describe('through app.synth(), as cdk8s synth runs it', () => {
  test('every problem of every construct is listed, each with its construct path', () => {
    const { app, chart } = appAndChart();
    const site = new HttpdWithPostStart(chart, 'web', { podName: 'pod-httpd', serviceName: 'svc-httpd' });
    // Two problems introduced after the constructor: the Pod loses the label its Service
    // selects, and the container mounts a volume that does not exist.
    ApiObject.of(site.pod).addJsonPatch(
      JsonPatch.remove(ADDR_LABEL_POINTER),
      JsonPatch.add('/spec/containers/0/volumeMounts/-', { name: 'certs', mountPath: '/certs' }),
    );
    new HookedPod(chart, 'hooked', 60);
    const message = synthError(app);
    const lines = message.split('\n');
    expect(lines[0]).toBe('Validation failed with the following errors:');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        /^ {2}\[site\/web\] Pod 'pod-httpd' \(site\/web\/Pod\/Resource\) at \/spec\/containers\/0\/volumeMounts\/2: container 'httpd' uses volume 'certs'/,
      ),
      expect.stringMatching(
        /^ {2}\[site\/web\] Service 'svc-httpd' \(site\/web\/Service\/Resource\) at \/spec\/selector: selector \{"cdk8s.io\/metadata.addr":"[^"]+"\} matches no Pod/,
      ),
      expect.stringMatching(
        /^ {2}\[site\/hooked\] Pod '.+' \(site\/hooked\/Pod\/Resource\): terminationGracePeriodSeconds is 30, but a 60 s preStop hook needs 60/,
      ),
    ]);
  });

  test('Testing.synth and chart.toJson run the same checks', () => {
    const { chart } = appAndChart();
    new HookedPod(chart, 'hooked', 60);
    expect(() => Testing.synth(chart)).toThrow(/\[site\/hooked\] .*terminationGracePeriodSeconds is 30/);
  });

  test('HttpdWithPostStart as built passes its checks', () => {
    const { app, chart } = appAndChart();
    new HttpdWithPostStart(chart, 'web');
    new HookedPod(chart, 'hooked', 30);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('one rendering per synth', () => {
  test('cdk8s validates twice in app.synth() of a one-chart app, yet each object is rendered once', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'one');
    for (const id of ['a', 'b']) new ApiObject(chart, id, { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } });
    addStandardSynthChecks(chart);
    const toJson = jest.spyOn(ApiObject.prototype, 'toJson');
    try {
      app.synth();
      expect(toJson).toHaveBeenCalledTimes(2);
      // Several charts: rendered once per chart (the checks cannot tell app.synth()'s next chart from a later synth).
      new ApiObject(new Chart(app, 'two'), 'c', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } });
      toJson.mockClear();
      app.synth();
      expect(toJson).toHaveBeenCalledTimes(6);
    } finally {
      toJson.mockRestore();
    }
  });

  test('a change between two synths in one synchronous run is seen by both the checks and the output', () => {
    const app = Testing.app();
    const [one, two] = ['one', 'two'].map((id) => new Chart(app, id));
    const site = new HttpdWithPostStart(one, 'web');
    const config = new ApiObject(two, 'config', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } });
    expect(() => Testing.synth(one)).not.toThrow();
    config.addJsonPatch(JsonPatch.replace('/data/a', 'c'));
    expect(Testing.synth(two)[0].data).toEqual({ a: 'c' });
    ApiObject.of(site.pod).addJsonPatch(JsonPatch.add('/spec/containers/0/volumeMounts/-', { name: 'nope', mountPath: '/nope' }));
    expect(() => Testing.synth(one)).toThrow(/\[mount-without-volume\]/);
  });
});
