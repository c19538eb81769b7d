import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { FlagFileDirectory, Warnings, PreStopAuditedPod } from '../lib';

/** Props of {@link PreStopAuditedPodChart}. */
export interface PreStopAuditedPodChartProps extends ChartProps {
  /** The flag-file directory and format; give the collector chart the same one. @default the tutorial's, host `/tmp/ListOfDeletedPods` */
  readonly flagDirectory?: FlagFileDirectory;
}

/**
 * The tutorial's preStop scenario: `pod-httpd` with the postStart page and a preStop hook that
 * drops a flag file into the node's /tmp/ListOfDeletedPods (mounted at
 * /preStopScriptOutput), exposed by the NodePort service `svc-nodeport-httpd`.
 */
export class PreStopAuditedPodChart extends Chart {
  public readonly audited: PreStopAuditedPod;

  public constructor(scope: Construct, id: string, props: PreStopAuditedPodChartProps = {}) {
    super(scope, id, props);
    // The tutorial's directory, which the cluster kit's tests read; on your nodes choose one on disk.
    Warnings.of(this).acknowledge('HOST_PATH_IN_TMP', 'the tutorial keeps its flag files in /tmp/ListOfDeletedPods');
    this.audited = new PreStopAuditedPod(this, 'web', {
      flagDirectory: props.flagDirectory ?? new FlagFileDirectory({ hostPath: '/tmp/ListOfDeletedPods' }),
      podName: 'pod-httpd-audited',
      containerName: 'cntr-httpd',
      serviceName: 'svc-nodeport-httpd-audited',
      labels: { component: 'httpd' },
      postStartContent: ['this content was created by the postStart hook'],
    });
  }
}
