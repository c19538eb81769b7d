import { ApiObject, App, Chart, Cron, Duration, IResolver, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  addStandardSynthChecks,
  addSynthCheck,
  GitClonedSiteInit,
  gracePeriodProblems,
  HttpdWithPostStart,
  serviceSelectorProblems,
  setManifestField,
  volumeMountProblems,
} from '../../lib';
import { buildExamples } from '../../examples/main';
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

describe('serviceSelectorProblems', () => {
  test('a Service selecting its Deployment, a Pod, or a pod in another chart of the app has no problem', () => {
    const { app, chart } = appAndChart();
    const deployment = new kplus.Deployment(chart, 'api', { containers: [container] });
    const viaDeployment = deployment.exposeViaService();
    const pod = new kplus.Pod(chart, 'pod', { containers: [container], metadata: { labels: { app: 'pod' } } });
    const viaPod = new kplus.Service(chart, 'pod-svc', { selector: pod, ports: [{ port: 80 }] });
    const other = new Chart(app, 'other');
    const viaLabel = new kplus.Service(other, 'by-label', { ports: [{ port: 80 }] });
    viaLabel.selectLabel('app', 'pod');
    for (const service of [viaDeployment, viaPod, viaLabel]) expect(serviceSelectorProblems(service)).toEqual([]);
    synthValid(chart);
  });

  test('a Service selecting a CronJob or Job template has no problem', () => {
    const { chart } = appAndChart();
    new kplus.CronJob(chart, 'cron', { schedule: Cron.hourly(), containers: [container] });
    const service = new kplus.Service(chart, 'svc', { ports: [{ port: 80 }] });
    const cronLabels = Testing.synth(chart)[0].spec.jobTemplate.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(cronLabels as Record<string, string>)) service.selectLabel(k, v);
    expect(serviceSelectorProblems(service)).toEqual([]);
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
    expect(serviceSelectorProblems(canary)).toEqual([]);
    expect(serviceSelectorProblems(tpl)).toEqual([expect.stringContaining('matches no Pod or pod template')]);
  });

  test('a Service whose selector matches nothing is reported with its kind, name, path and selector', () => {
    const { chart } = appAndChart();
    new kplus.Pod(chart, 'pod', { containers: [container], metadata: { labels: { app: 'web' } } });
    const service = new kplus.Service(chart, 'svc', { metadata: { name: 'svc' }, ports: [{ port: 80 }] });
    service.selectLabel('app', 'wbe');
    expect(serviceSelectorProblems(service)).toEqual([
      `Service 'svc' (site/svc/Resource): selector {"app":"wbe"} matches no Pod or pod template in the app, so the Service has no endpoints`,
    ]);
  });

  test('a pod in another namespace does not count', () => {
    const { app, chart } = appAndChart({ namespace: 'front' });
    new kplus.Pod(new Chart(app, 'back', { namespace: 'back' }), 'pod', { containers: [container], metadata: { labels: { app: 'web' } } });
    const service = new kplus.Service(chart, 'svc', { metadata: { name: 'svc' }, ports: [{ port: 80 }] });
    service.selectLabel('app', 'web');
    expect(serviceSelectorProblems(service)).toEqual([
      expect.stringContaining('matches no Pod or pod template in the app in namespace front'),
    ]);
  });

  test('a Service without selector, an ExternalName Service and a non-Service have no problem', () => {
    const { chart } = appAndChart();
    const manual = new kplus.Service(chart, 'manual', { ports: [{ port: 80 }] });
    const external = new kplus.Service(chart, 'external', { type: kplus.ServiceType.EXTERNAL_NAME, externalName: 'example.com' });
    external.selectLabel('app', 'nothing');
    const pod = new kplus.Pod(chart, 'pod', { containers: [container] });
    for (const c of [manual, external, pod]) expect(serviceSelectorProblems(c)).toEqual([]);
  });
});

describe('volumeMountProblems', () => {
  test('mounts of volumes the pod has are fine, in Pods, Deployments and CronJobs', () => {
    const { chart } = appAndChart();
    const volume = kplus.Volume.fromEmptyDir(chart, 'data', 'data');
    const mounted = { ...container, volumeMounts: [{ path: '/data', volume }] };
    const workloads = [
      new kplus.Pod(chart, 'pod', { containers: [mounted] }),
      new kplus.Deployment(chart, 'deploy', { containers: [mounted] }),
      new kplus.CronJob(chart, 'cron', { schedule: Cron.hourly(), containers: [mounted] }),
    ];
    for (const w of workloads) expect(volumeMountProblems(w)).toEqual([]);
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
    expect(volumeMountProblems(deployment)).toEqual([
      "Deployment 'deploy' (site/deploy/Resource) at /spec/template/spec/initContainers/0/volumeDevices/0: container 'init' uses volume 'disk' at /dev/xvda, but the pod has no volume of that name",
      "Deployment 'deploy' (site/deploy/Resource) at /spec/template/spec/containers/0/volumeMounts/0: container 'main' uses volume 'cache' at /cache, but the pod has no volume of that name",
    ]);
  });

  test('objects without a pod spec have no problem', () => {
    const { chart } = appAndChart();
    const config = new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', spec: { template: { spec: {} } } });
    expect(volumeMountProblems(config)).toEqual([]);
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
        /^ {2}\[site\/web\] Service 'svc-httpd' \(site\/web\/Service\/Resource\): selector \{"cdk8s.io\/metadata.addr":"[^"]+"\} matches no Pod/,
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

describe("reading cdk8s-plus-27's model instead of rendering", () => {
  /** Every validation problem of the app, and how many objects were rendered to find them. */
  function validateCountingRenders(app: App): { problems: string[]; renders: number } {
    const toJson = jest.spyOn(ApiObject.prototype, 'toJson');
    try {
      const problems = app.node.findAll().flatMap((c) => c.node.validate());
      return { problems, renders: toJson.mock.calls.length };
    } finally {
      toJson.mockRestore();
    }
  }

  test('the checks of every example chart and a native sidecar render nothing: the private state they read is where they expect it', () => {
    // If a cdk8s or cdk8s-plus-27 upgrade moves that state, the checks still work (they
    // render instead) but synth gets slower: this test is the one that notices.
    const app = buildExamples(Testing.app());
    new GitClonedSiteInit(new Chart(app, 'native'), 'site', {
      repository: 'https://example.com/site.git',
      syncInterval: Duration.seconds(30),
      nativeSidecar: true,
    });
    expect(validateCountingRenders(app)).toEqual({ problems: [], renders: 0 });
  });

  test('a selector or label changed through cdk8s-plus after the constructor is checked without rendering', () => {
    const { app, chart } = appAndChart();
    const site = new HttpdWithPostStart(chart, 'web', { serviceName: 'web' });
    site.service.selectLabel('tier', 'front');
    expect(validateCountingRenders(app)).toEqual({
      problems: [expect.stringMatching(/^Service 'web' \(site\/web\/Service\/Resource\): selector \{.*"tier":"front"\} matches no Pod/)],
      renders: 0,
    });
    site.pod.metadata.addLabel('tier', 'front');
    expect(validateCountingRenders(app)).toEqual({ problems: [], renders: 0 });
  });

  test('an app with resolvers of its own renders every object, since they may rewrite any value', () => {
    const relabel: IResolver = {
      resolve: (context) => {
        if (context.key.join('.') === 'metadata.labels.tier' && context.value === 'front') context.replaceValue('back');
      },
    };
    const app = new App({ outdir: Testing.app().outdir, resolvers: [relabel] });
    const site = new HttpdWithPostStart(new Chart(app, 'site'), 'web', { serviceName: 'web', labels: { tier: 'front' } });
    site.service.selectLabel('tier', 'front');
    expect(validateCountingRenders(app).problems).toEqual([expect.stringContaining('selector')]);
  });

  test("a JSON patch of the user's sends the object to rendering, so the checks see the patched manifest", () => {
    const { app, chart } = appAndChart();
    const site = new HttpdWithPostStart(chart, 'web');
    setManifestField(site.pod, '/spec/terminationGracePeriodSeconds', 12);
    expect(validateCountingRenders(app)).toEqual({ problems: [], renders: 1 });
    setManifestField(site.pod, '/metadata/labels', {});
    expect(validateCountingRenders(app).problems).toEqual([expect.stringContaining('matches no Pod')]);
  });
});
