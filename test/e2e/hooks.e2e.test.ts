// Issue 11, item 5: what the README says about hooks, where the kubelet shows it. (preStop
// within the grace period is checked with the audited pod, in pre-stop-audit.e2e.test.ts.)
import { JsonPatch } from 'cdk8s';
import { postStartSite } from './support/charts';
import { addRawJsonPatch } from './support/lib';
import {
  apply,
  chartYaml,
  containerStatus,
  createNamespace,
  deleteNamespaces,
  events,
  followLogs,
  getJson,
  kubectl,
  waitFor,
  waitPodReady,
  watchPod,
  withDiagnostics,
} from './support/kube';

let ns = '';
// Short, so the SIGKILL outcome below costs 5 s, not 30.
const FAILING_HOOK_GRACE = 5;
const t = (body: () => Promise<void>) => withDiagnostics(() => [ns], body);

beforeAll(async () => {
  ns = await createNamespace('hooks', 'restricted');
  // The hook's shell does not exist: the exec fails at once.
  await apply(
    chartYaml(
      postStartSite({
        namespace: ns,
        podName: 'failing-hook',
        shell: '/nonexistent',
        content: 'never written',
        gracePeriodSeconds: FAILING_HOOK_GRACE,
      }).chart,
    ),
  );
  await apply(chartYaml(postStartSite({ namespace: ns, podName: 'stop-signal', content: 'bye' }).chart));
  // A preStop hook that prints a line and fails.
  const failingPreStop = postStartSite({ namespace: ns, podName: 'failing-prestop', content: 'hi' });
  addRawJsonPatch(
    failingPreStop.site.pod,
    JsonPatch.add('/spec/containers/0/lifecycle/preStop', { exec: { command: ['/bin/sh', '-c', 'echo hook-output-line; exit 3'] } }),
  );
  await apply(chartYaml(failingPreStop.chart));
}, 60_000);

afterAll(() => deleteNamespaces([ns]), 60_000);

test(
  'a failing postStart kills the container: event FailedPostStartHook, the container restarted, never Ready',
  t(async () => {
    const failed = await waitFor(
      'a FailedPostStartHook event',
      async () => (await events(ns, { object: 'failing-hook', reason: 'FailedPostStartHook' }))[0],
      {
        timeoutMs: 60_000,
      },
    );
    expect(failed.type).toBe('Warning');
    // The kubelet keeps a failed postStart's output out of the event (it could hold
    // secrets): the message is this fixed text, the reason only in the kubelet's log.
    expect(failed.message).toBe('PostStartHook failed');
    const pod = await waitFor(
      'the container to be killed and restarted',
      async () => {
        const p = await getJson(['pod', '-n', ns, 'failing-hook']);
        return containerStatus(p, 'httpd')?.restartCount >= 1 ? p : undefined;
      },
      // The kill can take the whole grace period, see below.
      { timeoutMs: 90_000 },
    );
    const status = containerStatus(pod, 'httpd');
    expect(status.ready).toBe(false);
    // The kubelet killed it (httpd would have run forever) with the image's stop signal,
    // SIGWINCH. Two outcomes, both seen on the kit: httpd had installed its handler and
    // stopped gracefully (exit 0), or the hook failed so fast that the signal came first:
    // SIGWINCH's default action is to ignore it, so httpd ran on until the grace period
    // ended and the kubelet sent SIGKILL (exit 137, a grace period later).
    const last = status.lastState.terminated;
    expect(last).toBeDefined();
    expect([0, 137]).toContain(last.exitCode);
    const seconds = (Date.parse(last.finishedAt) - Date.parse(last.startedAt)) / 1000;
    process.stdout.write(`[e2e] failing postStart: the killed run exited ${last.exitCode} after ${seconds} s\n`);
    if (last.exitCode === 137) expect(seconds).toBeGreaterThanOrEqual(FAILING_HOOK_GRACE - 1);
    const killing = await events(ns, { object: 'failing-hook', reason: 'Killing' });
    expect(killing.map((e) => e.message).join('\n')).toMatch(/FailedPostStartHook|PostStartHook failed|postStart/i);
  }),
  150_000,
);

test(
  'after the drain delay (drainDelay, 5 s by default) httpd is stopped by the image stop signal SIGWINCH (graceful stop), exits 0 within the grace period',
  t(async () => {
    const pod = await waitPodReady(ns, 'stop-signal');
    const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
    const logs = followLogs(ns, 'stop-signal', 'httpd');
    await waitFor('httpd to log its start', async () => /resuming normal operations/.test(logs.text()), {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    const watch = await watchPod(ns, 'stop-signal');
    const started = Date.now();
    await kubectl(['delete', 'pod', '-n', ns, 'stop-signal', '--wait=false']);
    const gone = await watch.deleted((grace + 15) * 1000);
    watch.stop();
    const text = await logs.ended(10_000);
    expect(text).toMatch(/caught SIGWINCH, shutting down gracefully/);
    expect(text).not.toMatch(/caught SIGTERM/);
    const terminated = containerStatus(gone.object, 'httpd').state.terminated;
    expect(terminated).toBeDefined();
    expect(terminated.exitCode).toBe(0);
    expect((gone.at - started) / 1000).toBeLessThan(grace);
    // The preStop drain delay ran first: without it httpd stops within a second of the delete.
    const drain = pod.spec.containers[0].lifecycle.preStop.exec.command;
    expect(drain.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(drain[2]).toContain("\nsleep '5'\n"); // the logged drain delay (docs/operating.md)
    expect((gone.at - started) / 1000).toBeGreaterThanOrEqual(5);
  }),
  120_000,
);

test(
  'a failing preStop is only an event (FailedPreStopHook, its output only in the kubelet log); the pod is stopped anyway',
  t(async () => {
    await waitPodReady(ns, 'failing-prestop');
    const watch = await watchPod(ns, 'failing-prestop');
    await kubectl(['delete', 'pod', '-n', ns, 'failing-prestop', '--wait=false']);
    const gone = await watch.deleted(45_000);
    watch.stop();
    expect(containerStatus(gone.object, 'httpd').state.terminated).toBeDefined();
    const failed = await waitFor(
      'a FailedPreStopHook event',
      async () => (await events(ns, { object: 'failing-prestop', reason: 'FailedPreStopHook' }))[0],
      {
        timeoutMs: 20_000,
      },
    );
    // As for postStart: a fixed text, no output (the kubelet logs "PreStop hook failed"
    // with the command, its exit status and output).
    expect(failed.message).toBe('PreStopHook failed');
  }),
  90_000,
);
