import { Chart, Testing } from 'cdk8s';
import { GitClonedSiteInit, HttpdWithPostStart, servicePlainData } from '../../lib';
import { synthSnapshot } from '../../lib/testing';

describe('servicePlainData', () => {
  test("is what the synthesized Service says: name, port, target port, the pods' selector", () => {
    const chart = new Chart(Testing.app(), 'site', { namespace: 'web' });
    const site = new HttpdWithPostStart(chart, 'web', { serviceName: 'svc', servicePort: 8080 });
    const data = servicePlainData(site.service);
    const [pod, service] = synthSnapshot(chart);
    expect(data).toEqual({
      name: 'svc',
      namespace: 'web',
      port: 8080,
      portName: 'http',
      targetPort: 80,
      podSelector: service.spec.selector,
    });
    expect(Object.entries(data.podSelector).every(([k, v]) => pod.metadata.labels[k] === v)).toBe(true);
  });

  test("selects a Deployment's pods, and is frozen", () => {
    const chart = new Chart(Testing.app(), 'git');
    const site = new GitClonedSiteInit(chart, 'site', { repository: 'https://example.com/site.git' });
    const data = servicePlainData(site.service);
    const deployment = synthSnapshot(chart).find((m) => m.kind === 'Deployment')!;
    expect(data.podSelector).toEqual(deployment.spec.selector.matchLabels);
    expect(data.namespace).toBeUndefined();
    expect(Object.isFrozen(data.podSelector)).toBe(true);
  });
});
