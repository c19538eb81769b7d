import { Cron } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { containerPointer, SecurityPreset } from '../../lib';
import { newChart, only, synthValid } from '../support/manifests';

test('a preset applies to a container of any workload, at the right place in its manifest', () => {
  const chart = newChart();
  const deployment = new kplus.Deployment(chart, 'deploy', { containers: [{ image: 'busybox:1.36', name: 'a' }] });
  const second = deployment.addContainer({ image: 'busybox:1.36', name: 'b' });
  const preset = SecurityPreset.restricted({ user: 2000, group: 3000 });
  preset.applyToContainer(deployment, second);
  preset.applyToPod(deployment);
  expect(containerPointer(deployment, second)).toBe('/spec/template/spec/containers/1');
  const spec = only(synthValid(chart), 'Deployment').spec.template.spec;
  expect(spec.containers[1].securityContext).toEqual(preset.containerSecurityContext);
  expect(spec.containers[1].securityContext.runAsUser).toBe(2000);
  expect(spec.securityContext).toEqual({ fsGroup: 3000, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  // The other container keeps what cdk8s-plus wrote.
  expect(spec.containers[0].securityContext.capabilities).toBeUndefined();
  expect(preset.level).toBe('restricted');
});

test('init containers and CronJobs are addressed too', () => {
  const chart = newChart();
  const cron = new kplus.CronJob(chart, 'cron', { schedule: Cron.hourly(), containers: [{ image: 'busybox:1.36' }] });
  expect(containerPointer(cron, cron.containers[0])).toBe('/spec/jobTemplate/spec/template/spec/containers/0');
  const pod = new kplus.Pod(chart, 'pod', {
    initContainers: [{ image: 'busybox:1.36', name: 'init' }],
    containers: [{ image: 'busybox:1.36' }],
  });
  expect(containerPointer(pod, pod.initContainers[0])).toBe('/spec/initContainers/0');
  const stranger = new kplus.Pod(chart, 'other', { containers: [{ image: 'busybox:1.36' }] }).containers[0];
  expect(() => containerPointer(pod, stranger)).toThrow(/is not a container of test\/pod/);
});

test('restricted preset rejects root and bad ports', () => {
  expect(() => SecurityPreset.restricted({ user: 0 })).toThrow(/SecurityPreset.restricted \(prop user\): 0 is not a non-root user id/);
  expect(() => SecurityPreset.restricted({ unprivilegedPortStart: 0 })).toThrow(/prop unprivilegedPortStart\): 0 is not a port number/);
});

test('preset contexts are copies', () => {
  const preset = SecurityPreset.restricted();
  (preset.containerSecurityContext as { runAsUser: number }).runAsUser = 0;
  expect(preset.containerSecurityContext.runAsUser).toBe(10001);
});
