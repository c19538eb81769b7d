import { join } from 'node:path';
import { ApiObject, App, Chart, Duration, JsonPatch, Testing, Yaml } from 'cdk8s';
import {
  addRawJsonPatch,
  containerPointer,
  GitClonedSiteInit,
  HttpdWithPostStart,
  PreStopAuditedPod,
  PropError,
  SHUTDOWN_MARGIN,
} from '../../lib';
import { findSchemaViolations } from '../../lib/testing/k8s-schema';
import { checkObjects, warningsOf } from '../../lib/testing';
import { Manifest, newChart, only, synthValid } from '../support/manifests';
import { tempDir } from '../support/run';

const repository = 'https://git.example.com/org/site.git';

// Both httpd constructs that serve behind a Service drain the same way.
const CONSTRUCTS = [
  ['HttpdWithPostStart', (chart: Chart, props: object) => new HttpdWithPostStart(chart, 'web', props).pod],
  ['GitClonedSiteInit', (chart: Chart, props: object) => new GitClonedSiteInit(chart, 'web', { repository, ...props }).deployment],
] as const;

function podSpec(manifest: Manifest): Manifest {
  return manifest.kind === 'Pod' ? manifest.spec : manifest.spec.template.spec;
}

function workloadOf(manifests: Manifest[]): Manifest {
  return manifests.find((m) => m.kind === 'Pod' || m.kind === 'Deployment');
}

describe.each(CONSTRUCTS)('%s drains before httpd stops', (_name, build) => {
  function synth(props: object = {}) {
    const chart = newChart();
    build(chart, props);
    const spec = podSpec(workloadOf(synthValid(chart)));
    return { spec, httpd: spec.containers[0] as Manifest };
  }

  test('by default: an exec sleep of 5 s in preStop, in a 30 s grace period', () => {
    const { spec, httpd } = synth();
    const [shell, flag, script] = httpd.lifecycle.preStop.exec.command;
    expect([shell, flag]).toEqual(['/bin/sh', '-c']);
    // The sleep, wrapped so that its start and end show in `kubectl logs` (test/core/hook-log.test.ts).
    expect(script).toContain("\nset -eu\nsleep '5'\n)");
    expect(script).toContain("hook_log_name='drain-delay'");
    expect(spec.terminationGracePeriodSeconds).toBe(30);
  });

  test('drainDelay 0 turns it off: no preStop hook', () => {
    expect(synth({ drainDelay: Duration.seconds(0) }).httpd.lifecycle?.preStop).toBeUndefined();
  });

  test('a longer delay with a grace period that covers it', () => {
    const { spec, httpd } = synth({ drainDelay: Duration.seconds(40), terminationGracePeriod: Duration.seconds(45) });
    expect(httpd.lifecycle.preStop.exec.command[2]).toContain("\nset -eu\nsleep '40'\n)");
    expect(spec.terminationGracePeriodSeconds).toBe(45);
  });

  test.each([
    [
      'a delay longer than the grace period leaves',
      { drainDelay: Duration.seconds(26) },
      'GRACE_PERIOD',
      /\(prop terminationGracePeriod\): 30 seconds is too short: the preStop drain delay \(drainDelay 26s, then 5s for httpd .*\) needs 31; .*set terminationGracePeriod to at least 31s or shorten drainDelay$/,
    ],
    [
      'a fraction of a second',
      { drainDelay: Duration.millis(500) },
      'WHOLE_SECONDS',
      /\(prop drainDelay\): 0.5 is not a whole number of seconds/,
    ],
    [
      'more than an hour',
      { drainDelay: Duration.hours(2), terminationGracePeriod: Duration.hours(3) },
      'WHOLE_SECONDS',
      /\(prop drainDelay\): 7200/,
    ],
  ])('%s is an error', (_what, props, code, message) => {
    let error: unknown;
    try {
      build(newChart(), props);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PropError);
    expect((error as PropError).code).toBe(code);
    expect((error as PropError).message).toMatch(message);
  });

  test('opt-in: the kubelet sleep action instead, written to the final manifest (Kubernetes 1.29+)', () => {
    const chart = newChart();
    build(chart, { drainWithSleepAction: true, drainDelay: Duration.seconds(7) });
    const manifests = Testing.synth(chart);
    const workload = workloadOf(manifests);
    const httpd = podSpec(workload).containers[0];
    expect(httpd.lifecycle.preStop).toEqual({ sleep: { seconds: 7 } });
    // A postStart hook beside it stays.
    if (workload.kind === 'Pod') expect(httpd.lifecycle.postStart.exec.command[0]).toBe('/bin/sh');
    // The 1.27 schema knows no sleep action: exactly that one violation.
    const pointer = `${workload.kind === 'Pod' ? '/spec' : '/spec/template/spec'}/containers/0/lifecycle/preStop/sleep`;
    expect(findSchemaViolations(manifests)).toEqual([
      { object: `${workload.kind}/${workload.metadata.name}`, path: pointer, message: 'is not a field of this object' },
    ]);
    expect(warningsOf(chart).map((w) => w.code)).toEqual(['SLEEP_ACTION']);
  });

  test('the sleep action reaches the YAML files app.synth() writes', () => {
    const outdir = tempDir('synth-');
    const app = new App({ outdir });
    build(new Chart(app, 'drain'), { drainWithSleepAction: true });
    app.synth();
    const workload = workloadOf(Yaml.load(join(outdir, 'drain.k8s.yaml')));
    expect(podSpec(workload).containers[0].lifecycle.preStop).toEqual({ sleep: { seconds: 5 } });
  });

  test('the grace period lowered after the constructor fails the synth, naming both', () => {
    const chart = newChart();
    const workload = build(chart, {});
    const pointer = workload.kind === 'Pod' ? '/spec/terminationGracePeriodSeconds' : '/spec/template/spec/terminationGracePeriodSeconds';
    ApiObject.of(workload).addJsonPatch(JsonPatch.replace(pointer, 8));
    expect(() => Testing.synth(chart)).toThrow(
      /terminationGracePeriodSeconds is 8, but the preStop drain delay \(drainDelay 5s, then 5s .*\) needs 10; .* \[grace-period-shorter-than-hook\]/,
    );
  });

  test("a liveness probe's own grace period shorter than the drain fails the synth", () => {
    const chart = newChart();
    const workload = build(chart, {});
    const probe = `${containerPointer(workload, workload.containers[0])}/livenessProbe/terminationGracePeriodSeconds`;
    ApiObject.of(workload).addJsonPatch(JsonPatch.add(probe, 3));
    expect(() => Testing.synth(chart)).toThrow(
      /the livenessProbe of container 'httpd' has terminationGracePeriodSeconds 3, which replaces the pod's when the probe restarts the container, but the preStop drain delay .* needs 10; .*\[grace-period-shorter-than-hook\]/,
    );
  });

  test("the API server's rule sleep.seconds <= terminationGracePeriodSeconds is checked at synth", () => {
    const chart = newChart();
    const workload = build(chart, {
      drainWithSleepAction: true,
      drainDelay: Duration.seconds(20),
      terminationGracePeriod: Duration.seconds(25),
    });
    addRawJsonPatch(
      workload,
      JsonPatch.replace(`${containerPointer(workload, workload.containers[0])}/lifecycle/preStop/sleep/seconds`, 40),
    );
    expect(() => Testing.synth(chart)).toThrow(
      /the preStop sleep action of container 'httpd' sleeps 40s, longer than terminationGracePeriodSeconds 25: the API server rejects the pod .*\[sleep-exceeds-grace-period\]/,
    );
  });
});

describe('PreStopAuditedPod shares the code path', () => {
  test('the same margin, the same constructor rule, the same synth checks', () => {
    expect(SHUTDOWN_MARGIN.toSeconds()).toBe(5);
    expect(() => new PreStopAuditedPod(newChart(), 'audited', { preStopDelay: Duration.seconds(26) })).toThrow(
      /\(prop terminationGracePeriod\): 30 seconds is too short: .* set terminationGracePeriod to at least 31s or shorten preStopDelay$/,
    );
    const chart = newChart();
    const audited = new PreStopAuditedPod(chart, 'audited', { preStopDelay: Duration.seconds(5) });
    ApiObject.of(audited.pod).addJsonPatch(JsonPatch.add('/spec/containers/0/livenessProbe/terminationGracePeriodSeconds', 2));
    expect(() => Testing.synth(chart)).toThrow(
      /the livenessProbe of container 'httpd' has terminationGracePeriodSeconds 2, .*\[grace-period-shorter-than-hook\]/,
    );
  });
});

describe('the rule sleep-exceeds-grace-period', () => {
  test('reads hand-written objects too, and has nothing to say about exec hooks', () => {
    const chart = newChart();
    const pod = new ApiObject(chart, 'raw', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'raw' },
      spec: {
        terminationGracePeriodSeconds: 10,
        containers: [
          { name: 'a', image: 'busybox:1.38.0', lifecycle: { preStop: { sleep: { seconds: 11 } } } },
          { name: 'b', image: 'busybox:1.38.0', lifecycle: { preStop: { exec: { command: ['sleep', '60'] } } } },
        ],
      },
    });
    expect(checkObjects([pod.toJson()]).map((f) => f.message)).toEqual([
      "Pod 'raw' at /spec/containers/0/lifecycle/preStop/sleep/seconds: the preStop sleep action of container 'a' sleeps 11s, longer than terminationGracePeriodSeconds 10: the API server rejects the pod (sleep.seconds must not exceed the grace period)",
    ]);
    expect(checkObjects(Testing.synth(new HttpdWithPostStart(newChart(), 'web').node.scope as Chart))).toEqual([]);
  });

  test('the checks render each object once per synth, however many times cdk8s validates', () => {
    const chart = newChart();
    const site = new HttpdWithPostStart(chart, 'web');
    const toJson = jest.spyOn(ApiObject.of(site.pod), 'toJson');
    only(Testing.synth(chart), 'Pod');
    // Two calls: the checks render the pod once per synth, and synth gets that rendering back.
    expect(toJson).toHaveBeenCalledTimes(2);
  });
});
