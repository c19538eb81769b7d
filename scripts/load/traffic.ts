// Traffic for the load harness, sent the way an ingress controller sends it on the kit: from
// a pod, to the ready pod IPs of a Service's EndpointSlices (the kit has no ClusterIP or
// NodePort routing, and the host has no route to pod IPs: nothing here sends traffic from
// the host). The generator pod is a busybox sh loop with wget; the host follows the
// EndpointSlices with kubectl (as an ingress controller watches them) and writes the ready
// IPs into the generator pod's /tmp/ips whenever they change.
import { ChildProcess, spawn } from 'node:child_process';
import { Json, apply, kubectl, kubectlPath, objectsYaml, sleep, waitPodReady } from '../../test/e2e/support/kube';

// One request per loop: round-robin over the IPs in /tmp/ips. Each record is
// `R <uptime cs> <ip> ok|fail <latency cs>`; a failure adds `E <uptime cs> <ip> <wget's message>`.
// Times come from /proc/uptime (a builtin read: no process, 10 ms resolution), so a
// latency includes wget's process start. Bounded: stops at /tmp/stop or after $1 seconds.
const GENERATOR = `end=$(( $(cut -d. -f1 /proc/uptime) + $1 ))
i=0
while [ ! -e /tmp/stop ]; do
  read up _ </proc/uptime
  [ "\${up%.*}" -lt "$end" ] || break
  ips=$(cat /tmp/ips 2>/dev/null) || ips=
  set -- $ips
  if [ "$#" = 0 ]; then sleep 0.1; continue; fi
  i=$((i + 1))
  eval "ip=\\\${$(( i % $# + 1 ))}"
  t0=\${up%.*}\${up#*.}
  if wget -q -T 3 -O /dev/null "http://$ip/" 2>/tmp/err; then r=ok; else r=fail; fi
  read up _ </proc/uptime
  t1=\${up%.*}\${up#*.}
  echo "R $t0 $ip $r $(( t1 - t0 ))"
  if [ "$r" = fail ]; then echo "E $t0 $ip $(head -c 200 /tmp/err | tr '\\n' ' ')"; fi
done
echo DONE`;

/** The generator pod: busybox, Pod Security restricted, deleted with its namespace. */
export function generatorPod(namespace: string, name: string, maxSeconds: number): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'load-role': 'generator' } },
    spec: {
      terminationGracePeriodSeconds: 1,
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'load',
          image: 'busybox:1.36.1',
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', GENERATOR, 'load', String(maxSeconds)],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          resources: { requests: { cpu: '50m', memory: '16Mi' }, limits: { cpu: '500m', memory: '64Mi' } },
        },
      ],
    },
  };
}

/**
 * Follows the Service's ready endpoints into the generator until stopped, as an ingress
 * controller does: a watch of its EndpointSlice (`kubectl get --watch`, one line of
 * addresses and their ready conditions per change) streamed into the generator pod by one long `kubectl exec`, which
 * replaces /tmp/ips atomically per line. One EndpointSlice per Service (up to 100 endpoints).
 */
export class EndpointFollower {
  private readonly watcher: ChildProcess;
  private readonly pusher: ChildProcess;
  /** How many endpoint changes were pushed to the generator. */
  public updates = 0;

  public constructor(namespace: string, service: string, generator: string) {
    const push = 'while IFS= read -r l; do printf "%s\\n" $l >/tmp/ips.new && mv /tmp/ips.new /tmp/ips; done';
    this.pusher = spawn(kubectlPath(), ['exec', '-i', '-n', namespace, generator, '--', 'sh', '-c', push], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.pusher.stdin!.on('error', () => undefined);
    this.watcher = spawn(
      kubectlPath(),
      [
        'get',
        'endpointslices',
        '-n',
        namespace,
        '-l',
        `kubernetes.io/service-name=${service}`,
        '--watch',
        '--no-headers',
        // Not jsonpath: under --watch kubectl prints it for the first object only.
        '-o',
        'custom-columns=A:.endpoints[*].addresses[0],R:.endpoints[*].conditions.ready',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let last = '';
    let buffer = '';
    this.watcher.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [addresses = '', ready = ''] = line.trim().split(/\s+/);
        const flags = ready.split(',');
        const ips = addresses
          .split(',')
          .filter((ip, i) => ip !== '<none>' && flags[i] === 'true')
          .sort()
          .join(' ');
        if (ips === last) continue;
        last = ips;
        this.updates++;
        this.pusher.stdin!.write(`${ips}\n`);
      }
    });
  }

  /** Stops following (ends both kubectl processes). */
  public async stop(): Promise<void> {
    this.watcher.kill('SIGTERM');
    this.pusher.stdin!.end();
    this.pusher.kill('SIGTERM');
  }
}

/** What one run of the generator measured. */
export interface TrafficResult {
  readonly sent: number;
  readonly failed: number;
  /** Latencies in ms (10 ms resolution). */
  readonly p50: number;
  readonly p99: number;
  /** Up to 5 failure messages, for the report. */
  readonly failures: readonly string[];
}

/** Starts a generator pod and waits until it runs. */
export async function startGenerator(namespace: string, name: string, maxSeconds: number): Promise<void> {
  await apply(objectsYaml([generatorPod(namespace, name, maxSeconds)]));
  await waitPodReady(namespace, name, 60_000);
}

/** Stops the generator and reads its records from its log. */
export async function stopGenerator(namespace: string, name: string): Promise<TrafficResult> {
  await kubectl(['exec', '-n', namespace, name, '--', 'touch', '/tmp/stop'], { allowFail: true, timeoutMs: 15_000 });
  for (let i = 0; i < 40; i++) {
    const phase = (await kubectl(['get', 'pod', '-n', namespace, name, '-o', 'jsonpath={.status.phase}'], { allowFail: true })).stdout;
    if (phase === 'Succeeded' || phase === 'Failed') break;
    await sleep(250);
  }
  const log = (await kubectl(['logs', '-n', namespace, name], { timeoutMs: 60_000 })).stdout;
  return parseRecords(log);
}

/** Counts the generator's records. */
export function parseRecords(log: string): TrafficResult {
  const latencies: number[] = [];
  let failed = 0;
  const failures: string[] = [];
  for (const line of log.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'R' && f.length === 5) {
      latencies.push(Number(f[4]) * 10);
      if (f[3] !== 'ok') failed++;
    } else if (f[0] === 'E' && failures.length < 5) {
      failures.push(f.slice(2).join(' '));
    }
  }
  latencies.sort((a, b) => a - b);
  const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
  return { sent: latencies.length, failed, p50: q(0.5), p99: q(0.99), failures };
}
