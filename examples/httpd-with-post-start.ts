import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpdWithPostStart } from '../lib';

/**
 * The tutorial's postStart scenario: `pod-httpd` whose hook writes the date and a line into
 * index.html, exposed by the NodePort service `svc-nodeport-httpd`.
 */
export class HttpdPostStartChart extends Chart {
  public readonly site: HttpdWithPostStart;

  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.site = new HttpdWithPostStart(this, 'web', {
      podName: 'pod-httpd',
      containerName: 'cntr-httpd',
      serviceName: 'svc-nodeport-httpd',
      labels: { component: 'httpd' },
      content: ['This content was created by the postStart hook'],
    });
  }
}
