import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { addGitSiteContainers, addHttpdContainer, addHttpService, applyDrainDelay, drainDelay, GIT_SITE, PropError } from '../../lib';
import { newChart, only, synthValid } from '../support/manifests';

// The public building blocks: one options object each, errors that name the scope and the prop.

function thrown(fn: () => unknown): PropError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PropError) return e;
    throw e;
  }
  throw new Error('no PropError thrown');
}

test('the blocks build a Deployment with httpd, a drain delay, git containers and a Service', () => {
  const chart = newChart();
  const site = new Construct(chart, 'site');
  const deployment = new kplus.Deployment(site, 'Deployment', { replicas: 1, terminationGracePeriod: Duration.seconds(20) });
  const drain = drainDelay({ drainDelay: Duration.seconds(3), terminationGracePeriod: Duration.seconds(20) });
  const { container } = addHttpdContainer(site, { workload: deployment, lifecycle: { preStop: drain.handler } });
  applyDrainDelay(site, { workload: deployment, container, drain });
  const git = addGitSiteContainers(site, {
    workload: deployment,
    repository: 'https://example.com/site.git',
    syncInterval: Duration.seconds(60),
  });
  const service = addHttpService(site, { selector: deployment, serviceType: kplus.ServiceType.CLUSTER_IP, servicePort: 8080 });

  expect(drain).toMatchObject({ seconds: 3, sleepAction: false, gracePeriodSeconds: 20 });
  // The exec drain is a logged `sleep 3` (its lines go to the container's log).
  expect(drain.command?.slice(0, 2)).toEqual(['/bin/sh', '-c']);
  expect(drain.command?.[2]).toContain("\nsleep '3'\n");
  expect(git.syncContainer?.name).toBe(GIT_SITE.syncContainerName);
  expect(service.ports).toEqual([expect.objectContaining({ port: 8080, targetPort: 80, name: 'http' })]);
  const manifests = synthValid(chart);
  const spec = only(manifests, 'Deployment').spec.template.spec;
  expect(spec.containers.map((c: { name: string }) => c.name)).toEqual(['httpd', GIT_SITE.syncContainerName]);
  expect(spec.initContainers.map((c: { name: string }) => c.name)).toEqual([GIT_SITE.initContainerName]);
  expect(spec.containers[0].lifecycle.preStop.exec.command).toEqual(drain.command);
  expect(only(manifests, 'Service').spec.type).toBe('ClusterIP');
});

test('errors name the scope, the prop and the rule', () => {
  const chart = newChart();
  const site = new Construct(chart, 'site');
  const pod = new kplus.Pod(site, 'Pod');
  const httpd = thrown(() => addHttpdContainer(site, { workload: pod, htdocsPath: 'relative' }));
  expect(httpd).toMatchObject({ code: 'ABSOLUTE_PATH', prop: 'htdocsPath', constructPath: 'test/site' });
  const service = thrown(() => addHttpService(site, { selector: pod, serviceType: kplus.ServiceType.CLUSTER_IP, nodePort: 30080 }));
  expect(service).toMatchObject({ code: 'NODE_PORT', prop: 'nodePort' });
  const git = thrown(() => addGitSiteContainers(site, { workload: pod, repository: 'https://example.com/site.git', nativeSidecar: true }));
  expect(git).toMatchObject({ code: 'MISSING_PROP', prop: 'nativeSidecar' });
  const drain = thrown(() => drainDelay({ drainDelay: Duration.seconds(40) }));
  expect(drain).toMatchObject({ code: 'GRACE_PERIOD', prop: 'terminationGracePeriod' });
  expect(drain.message).toMatch(/^drainDelay \(prop terminationGracePeriod\)/);
});

test('a git container name the pod already uses is refused before anything is added', () => {
  const chart = newChart();
  const site = new Construct(chart, 'site');
  const pod = new kplus.Pod(site, 'Pod', { containers: [{ name: GIT_SITE.initContainerName, image: 'busybox:1.36.1' }] });
  const error = thrown(() => addGitSiteContainers(site, { workload: pod, repository: 'https://example.com/site.git' }));
  expect(error).toMatchObject({ code: 'NAME_CLASH', value: GIT_SITE.initContainerName });
  expect(pod.initContainers).toEqual([]);
});
