import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { FlagFileDirectory, Warnings, PreStopAuditCollector } from '../lib';

/** Props of {@link PreStopAuditCollectorChart}. */
export interface PreStopAuditCollectorChartProps extends ChartProps {
  /** The flag-file directory and format the audited pods use. @default the tutorial's, host `/tmp/ListOfDeletedPods` */
  readonly flagDirectory?: FlagFileDirectory;
}

/**
 * The collector the tutorial sketches: one pod per node that polls /tmp/ListOfDeletedPods and
 * runs a cleanup for each stopped pod. This cleanup only reports it (`kubectl logs`), and
 * so is idempotent.
 */
export class PreStopAuditCollectorChart extends Chart {
  public readonly collector: PreStopAuditCollector;

  public constructor(scope: Construct, id: string, props: PreStopAuditCollectorChartProps = {}) {
    super(scope, id, props);
    // The tutorial's directory, which the cluster kit's tests read; on your nodes choose one on disk.
    Warnings.of(this).acknowledge('HOST_PATH_IN_TMP', 'the tutorial keeps its flag files in /tmp/ListOfDeletedPods');
    this.collector = new PreStopAuditCollector(this, 'collector', {
      flagDirectory: props.flagDirectory ?? new FlagFileDirectory({ hostPath: '/tmp/ListOfDeletedPods' }),
      name: 'prestop-audit-collector',
      labels: { component: 'prestop-audit-collector' },
      cleanupCommand: [
        '/bin/sh',
        '-c',
        'printf "cleanup: pod %s/%s (uid %s), container %s stopped at %s on node %s\\n" ' +
          '"$POD_NAMESPACE" "$POD_NAME" "$POD_UID" "$CONTAINER_NAME" "$STOPPED_AT" "$NODE_NAME"',
      ],
    });
  }
}
