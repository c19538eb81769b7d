import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { HttpdWithPostStart } from '../../lib';
import { BenchEntry } from '../entry';
import { DRAIN_COMMAND, httpdProbes, withHookLog, withoutEmptyExternalIps } from '../hand-written';

/**
 * HttpdWithPostStart against what a user writes without it: a Pod and a Service from
 * cdk8s-plus-27, the hook script typed out (`Page ${i}` needs no quoting beyond the
 * literal quotes), and JSON patches for the security contexts cdk8s-plus-27 cannot express.
 *
 * Instance i: a named Pod and Service, a label, a two-line page that differs per instance,
 * the default probes and drain delay.
 * Both builders write their values as object literals. (V8 reads a props object built
 * with spread, `{ ...common, content }`, through a slow path: ~36 µs more per instance;
 * see BENCHMARKS.md.)
 */
export const httpdWithPostStart: BenchEntry = {
  name: 'HttpdWithPostStart',

  ours: (chart, i) => {
    new HttpdWithPostStart(chart, `web-${i}`, {
      podName: `web-${i}`,
      serviceName: `web-${i}`,
      labels: { component: 'httpd' },
      content: [`Page ${i}`, 'This content was created by the postStart hook'],
    });
  },

  handWritten: (chart, i) => {
    const labels = { component: 'httpd' };
    const scope = new Construct(chart, `web-${i}`);
    const pod = new kplus.Pod(scope, 'Pod', { metadata: { name: `web-${i}`, labels }, terminationGracePeriod: Duration.seconds(30) });
    const script = `set -eu
mkdir -p '/usr/local/apache2/htdocs'
tmp='/usr/local/apache2/htdocs/.index.html.tmp.'$$
{
printf 'the date is: %s\\n' "$(date)"
printf '%s\\n' 'Page ${i}' 'This content was created by the postStart hook'
} > "$tmp"
mv -f "$tmp" '/usr/local/apache2/htdocs/index.html'
`;
    pod.addContainer({
      name: 'httpd',
      image: 'httpd:2.4.69',
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [{ number: 80, name: 'http' }],
      resources: {
        cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
      },
      lifecycle: {
        postStart: kplus.Handler.fromCommand(['/bin/sh', '-c', withHookLog('post-start-page', script)]),
        preStop: kplus.Handler.fromCommand([...DRAIN_COMMAND]),
      },
      ...httpdProbes('/index.html'),
      volumeMounts: [
        { path: '/usr/local/apache2/htdocs', volume: kplus.Volume.fromEmptyDir(scope, 'HtdocsVolume', 'htdocs'), readOnly: false },
        { path: '/usr/local/apache2/logs', volume: kplus.Volume.fromEmptyDir(scope, 'LogsVolume', 'httpd-logs') },
      ],
    });
    ApiObject.of(pod).addJsonPatch(
      JsonPatch.add('/spec/containers/0/securityContext', {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsGroup: 10001,
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      }),
      JsonPatch.add('/spec/securityContext', {
        fsGroup: 10001,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
        sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }],
      }),
    );
    withoutEmptyExternalIps(
      new kplus.Service(scope, 'Service', {
        metadata: { name: `web-${i}`, labels },
        type: kplus.ServiceType.NODE_PORT,
        selector: pod,
        ports: [{ port: 80, targetPort: 80, name: 'http' }],
      }),
    );
  },
};
