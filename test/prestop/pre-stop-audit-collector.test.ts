import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  FlagFileDirectory,
  IMAGE_PINS,
  PreStopAuditCollector,
  PreStopAuditCollectorProps,
  PreStopAuditedPod,
  PreStopAuditedPodProps,
  SecurityPreset,
} from '../../lib';
import { buildExamples } from '../../examples/main';
import {
  auditDir,
  collectorCommand,
  killGroup,
  killLeftovers,
  list,
  podIdentity,
  PodIdentity,
  preStopCommand,
  recordedCalls,
  recordingCleanup,
  runCollector,
  runCollectorAsync,
  runHooksAtOnce,
  startInBackground,
  until,
} from '../support/audit';
import { HOSTILE_STRINGS } from '../support/hostile';
import { Manifest, newChart, only, synthValid } from '../support/manifests';
import { SHELLS } from '../support/run';

const CLEANUP = ['/bin/sh', '-c', 'true'];

function synth(props: Partial<PreStopAuditCollectorProps> = {}) {
  const chart = newChart();
  const collector = new PreStopAuditCollector(chart, 'collector', { cleanupCommand: CLEANUP, ...props });
  const manifests = synthValid(chart);
  const daemonSet = only(manifests, 'DaemonSet');
  const spec = daemonSet.spec.template.spec;
  return { collector, manifests, daemonSet, spec, container: spec.containers[0] as Manifest };
}

/** Runs the real preStop hook once per pod, all at the same time, as the kubelet would, writing into `dir`. */
function writeFlags(dir: string, pods: readonly PodIdentity[], props: PreStopAuditedPodProps = {}): void {
  const flagDirectory = new FlagFileDirectory({ mountPath: dir });
  expect(runHooksAtOnce(preStopCommand({ ...props, flagDirectory }), pods)).toMatchObject(pods.map(() => ({ status: 0, stderr: '' })));
}

/** A fresh flag directory (`root`, with `dir` its incoming/), a record file for the cleanup, and the collector's command. */
function setUp(props: Partial<PreStopAuditCollectorProps> = {}) {
  const { root, dir, flagDirectory } = auditDir();
  const record = join(root, '..', 'record');
  const command = collectorCommand({ flagDirectory, cleanupCommand: recordingCleanup(record), ...props });
  return {
    root,
    dir,
    flagDirectory,
    record,
    command,
    processed: join(root, 'processed'),
    processing: join(root, 'processing'),
    failed: join(root, 'failed'),
    attempts: join(root, 'attempts'),
  };
}

/** The collector's directory after a run with nothing left to do. */
const STATE = ['.collector.lock', '.header', 'attempts', 'failed', 'incoming', 'processed', 'processing'];

function flagFiles(names: string[]): string[] {
  return names.filter((n) => n.endsWith('.txt'));
}

describe('synthesized objects', () => {
  test('a DaemonSet running the loop with /bin/sh in a pinned busybox, valid Kubernetes 1.27', () => {
    const { manifests, container } = synth();
    expect(manifests.map((m) => m.kind)).toEqual(['DaemonSet']);
    expect(container.image).toBe(IMAGE_PINS.collector);
    expect(IMAGE_PINS.collector).toMatch(/^busybox:\d+\.\d+\.\d+$/);
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    expect(container.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(container.command[2]).toContain("timeout -k '5' \"$cleanup_timeout\" '/bin/sh' '-c' 'true'");
  });

  test('mounts the whole hostPath read-write, of which audited pods mount only incoming/, plus an emptyDir at /tmp', () => {
    const chart = newChart();
    const flagDirectory = new FlagFileDirectory({ hostPath: '/var/lib/stops', mountPath: '/stops' });
    new PreStopAuditedPod(chart, 'audited', { flagDirectory });
    new PreStopAuditCollector(chart, 'collector', { flagDirectory, cleanupCommand: CLEANUP });
    const manifests = synthValid(chart);
    const podVolume = only(manifests, 'Pod').spec.volumes.find((v: Manifest) => v.hostPath);
    const spec = only(manifests, 'DaemonSet').spec.template.spec;
    expect(spec.volumes).toEqual([
      { name: 'list-of-deleted-pods', hostPath: { path: '/var/lib/stops', type: 'DirectoryOrCreate' } },
      { name: 'tmp', emptyDir: {} },
    ]);
    expect(podVolume).toEqual({ name: 'list-of-deleted-pods', hostPath: { path: '/var/lib/stops/incoming', type: 'Directory' } });
    expect(spec.containers[0].volumeMounts).toEqual([
      { mountPath: '/stops', name: 'list-of-deleted-pods' },
      { mountPath: '/tmp', name: 'tmp' },
    ]);
    expect(spec.containers[0].command[2]).toContain("dir='/stops'");
  });

  test('tolerates every taint by default, so it runs on every node; tolerations are configurable', () => {
    expect(synth().spec.tolerations).toEqual([{ operator: 'Exists' }]);
    const controlPlane = synth({ tolerations: [kplus.NodeTaintQuery.exists('node-role.kubernetes.io/control-plane')] });
    expect(controlPlane.spec.tolerations).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }]);
    expect(synth({ tolerations: [] }).spec.tolerations).toBeUndefined();
  });

  test('security: root (the owner of the directory) with no capabilities, read-only root, seccomp', () => {
    const { spec, container } = synth();
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: false,
      runAsUser: 0,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.securityContext).toEqual({ runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } });
    expect(SecurityPreset.baselineRoot().level).toBe('baseline');
    const dacOverride = synth({ securityPreset: SecurityPreset.baselineRoot({ addCapabilities: ['DAC_OVERRIDE'] }) });
    expect(dacOverride.container.securityContext.capabilities).toEqual({ add: ['DAC_OVERRIDE'], drop: ['ALL'] });
  });

  test('small resources by default, configurable', () => {
    expect(synth().container.resources).toEqual({ limits: { cpu: '100m', memory: '64Mi' }, requests: { cpu: '10m', memory: '16Mi' } });
    const resources = { cpu: { request: kplus.Cpu.millis(100) } };
    expect(synth({ resources }).container.resources).toEqual({ requests: { cpu: '100m' } });
  });

  test('the grace period lets a running cleanup end: cleanupTimeout + 5s to SIGKILL + 5s', () => {
    expect(synth().spec.terminationGracePeriodSeconds).toBe(70);
    expect(synth({ cleanupTimeout: Duration.minutes(5) }).spec.terminationGracePeriodSeconds).toBe(310);
  });

  test('no service account token unless a service account is given', () => {
    expect(synth().spec.automountServiceAccountToken).toBe(false);
    const chart = newChart();
    const serviceAccount = new kplus.ServiceAccount(chart, 'sa', { metadata: { name: 'cleaner' } });
    new PreStopAuditCollector(chart, 'collector', { cleanupCommand: CLEANUP, serviceAccount });
    const spec = only(synthValid(chart), 'DaemonSet').spec.template.spec;
    expect(spec).toMatchObject({ serviceAccountName: 'cleaner', automountServiceAccountToken: true });
  });

  test('name, labels, container name, image and environment', () => {
    const { daemonSet, container } = synth({
      name: 'prestop-audit-collector',
      labels: { component: 'collector' },
      containerName: 'audit',
      image: 'registry.example.com/tools:1.0',
      envVariables: { REGION: kplus.EnvValue.fromValue('eu') },
    });
    expect(daemonSet.metadata).toMatchObject({ name: 'prestop-audit-collector', labels: { component: 'collector' } });
    expect(daemonSet.spec.template.metadata.labels.component).toBe('collector');
    expect(container).toMatchObject({ name: 'audit', image: 'registry.example.com/tools:1.0', env: [{ name: 'REGION', value: 'eu' }] });
    expect(synth({ image: 'busybox' }).container.imagePullPolicy).toBe('Always');
  });

  test('.daemonSet, .container, .flagDirectory and .script are exposed', () => {
    const flagDirectory = new FlagFileDirectory();
    const { collector } = synth({ flagDirectory, pollInterval: Duration.seconds(2), maxAttempts: 4, cleanupTimeout: Duration.seconds(9) });
    expect(collector.daemonSet).toBeInstanceOf(kplus.DaemonSet);
    expect(collector.daemonSet.containers[0]).toBe(collector.container);
    expect(collector.flagDirectory).toBe(flagDirectory);
    expect(collector.script).toMatchObject({ pollSeconds: 2, maxAttempts: 4, cleanupTimeoutSeconds: 9 });
  });

  test('snapshot', () => {
    expect(synth({ name: 'prestop-audit-collector', cleanupCommand: ['/bin/sh', '-c', 'echo "$POD_UID"'] }).manifests).toMatchSnapshot();
  });

  test('the example charts share one FlagFileDirectory: the same host directory and mount path', () => {
    const app = buildExamples(Testing.app());
    const chart = (id: string) => Testing.synth(app.charts.find((c) => c.node.id === id)!);
    const [pod] = chart('pre-stop-audited-pod');
    const [daemonSet] = chart('pre-stop-audit-collector');
    expect(daemonSet.kind).toBe('DaemonSet');
    const podPath = pod.spec.volumes.find((v: Manifest) => v.hostPath).hostPath.path;
    expect(podPath).toBe(`${daemonSet.spec.template.spec.volumes[0].hostPath.path}/incoming`);
    expect(daemonSet.spec.template.spec.containers[0].volumeMounts[0].mountPath).toBe('/preStopScriptOutput');
    expect(daemonSet.spec.template.spec.containers[0].command[2]).toContain('"$POD_NAMESPACE" "$POD_NAME" "$POD_UID"');
  });
});

describe.each(SHELLS)('the loop, run by %s', (shell) => {
  test('each flag file written by the hook gets exactly one cleanup call with its fields, then moves to processed/', () => {
    const { root, dir, record, command, processed, processing } = setUp();
    const pods = [podIdentity(1), podIdentity(2, 'web-0.v2'), podIdentity(3)];
    writeFlags(dir, pods, { containerName: 'cntr-httpd' });
    const written = flagFiles(list(dir));
    const result = runCollector(command, shell, {});
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const calls = recordedCalls(record);
    expect(calls.map((c) => c.pod).sort()).toEqual(['pod-001', 'pod-003', 'web-0.v2']);
    for (const call of calls) {
      const pod = pods.find((p) => p.POD_NAME === call.pod)!;
      expect(call).toMatchObject({
        attempt: '1',
        namespace: 'default',
        uid: pod.POD_UID,
        node: 'node-1',
        container: 'cntr-httpd',
        args: [],
      });
      expect(call.stoppedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(call.flagFile.startsWith(`${processing}/`)).toBe(true);
    }
    expect(list(processed)).toEqual(written);
    expect(list(processing)).toEqual([]);
    expect(list(root)).toEqual(STATE);
    expect(list(dir)).toEqual([]);
    expect(result.stdout).toMatch(/processed: pod-001\.\S+: cleanup succeeded on attempt 1\n/);
    // A second pass finds nothing to do.
    expect(runCollector(command, shell, {}).status).toBe(0);
    expect(recordedCalls(record)).toHaveLength(3);
  });

  test('hostile input breaks nothing and runs nothing: spoofing flag lines, hostile file names and cleanup arguments, invalid files, temp files, dotfiles, directories, symlinks', () => {
    const { root, dir, flagDirectory, record, processed, failed } = setUp();
    const command = collectorCommand({ flagDirectory, cleanupCommand: recordingCleanup(record, ...HOSTILE_STRINGS) });
    const spoof = ['', 'format=cdk8s-pod-lifecycle/prestop-flag/v1', 'pod=evil', 'uid=evil', 'namespace=kube-system'];
    writeFlags(dir, [podIdentity(1)], { flagLines: spoof });
    const [valid] = flagFiles(list(dir));
    const content = readFileSync(join(dir, valid), 'utf8');
    // Valid flag files under hostile names: processed, the name passed as data.
    const hostileNames = ['$(touch PWNED).txt', "it's `x`.txt", 'new\nline.txt', '-rf .txt'];
    renameSync(join(dir, valid), join(dir, hostileNames[0]));
    for (const name of hostileNames.slice(1)) writeFileSync(join(dir, name), content);
    // Not flag files of this format: failed/, no cleanup.
    const invalid: Record<string, string> = {
      'no-header.txt': 'the date is today\nthe pod x has been terminated\n',
      'old-format.txt': content.replace('/v1', '/v0'),
      'twice.txt': content.replace('pod=pod-001\n', 'pod=pod-001\npod=pod-002\n'),
      'bad-value.txt': content.replace('pod=pod-001', 'pod=Pod_001'),
      'dot-value.txt': content.replace('uid=', 'uid=..'),
      'unknown-key.txt': content.replace('node=', 'color=blue\nnode='),
      'missing-field.txt': content.replace(/\nnode=.*\n/, '\n'),
      'empty.txt': '',
    };
    for (const [name, text] of Object.entries(invalid)) writeFileSync(join(dir, name), text);
    // Left where they are.
    const ignored = ['.hidden.txt', `.${valid}.tmp.123`, 'notes.log', 'link.txt', 'folder.txt'];
    writeFileSync(join(dir, '.hidden.txt'), content);
    writeFileSync(join(dir, `.${valid}.tmp.123`), content.slice(0, 20));
    writeFileSync(join(dir, 'notes.log'), content);
    mkdirSync(join(dir, 'folder.txt'));
    writeFileSync(join(root, '..', 'elsewhere.txt'), content);
    symlinkSync(join(root, '..', 'elsewhere.txt'), join(dir, 'link.txt'));

    expect(runCollector(command, shell)).toMatchObject({ status: 0, stderr: '' });
    expect(list(failed)).toEqual(Object.keys(invalid).sort());
    expect(list(processed)).toEqual([...hostileNames].sort());
    const calls = recordedCalls(record);
    expect(calls.map((c) => c.flagFile).sort()).toEqual(hostileNames.map((n) => join(root, 'processing', n)).sort());
    for (const call of calls) {
      expect(call).toMatchObject({ pod: 'pod-001', uid: podIdentity(1).POD_UID, namespace: 'default', args: [...HOSTILE_STRINGS] });
    }
    expect(list(dir)).toEqual([...ignored].sort());
    expect(list(root)).toEqual(STATE);
    expect(existsSync(join(dir, 'PWNED')) || existsSync(join(root, 'PWNED')) || existsSync('PWNED')).toBe(false);
  });
});

const HEAVY = 30_000;

describe('the loop across restarts and under load (sh)', () => {
  test('a failing cleanup is retried on later passes and ends in failed/ after maxAttempts', () => {
    const { dir, flagDirectory, record, processing, failed, attempts } = setUp();
    const command = collectorCommand({
      flagDirectory,
      maxAttempts: 3,
      cleanupCommand: ['sh', '-c', 'printf "%s\\n" "$CLEANUP_ATTEMPT" >> "$0"; exit 3', record],
    });
    writeFlags(dir, [podIdentity(1)]);
    const [name] = flagFiles(list(dir));
    const marks = () => [1, 2, 3].map((n) => list(join(attempts, String(n))));
    const first = runCollector(command, 'sh');
    expect(first.stdout).toContain(`retry: ${name}: cleanup failed with status 3 on attempt 1 of 3`);
    expect(list(processing)).toEqual([name]);
    expect(marks()).toEqual([[name], [], []]);
    runCollector(command, 'sh');
    expect(marks()).toEqual([[name], [name], []]);
    const third = runCollector(command, 'sh');
    expect(third.stdout).toContain(`failed: ${name}: cleanup failed with status 3 on attempt 3 of 3`);
    expect(list(failed)).toEqual([name]);
    expect(list(processing)).toEqual([]);
    expect(marks()).toEqual([[], [], []]);
    runCollector(command, 'sh');
    expect(readFileSync(record, 'utf8')).toBe('1\n2\n3\n');
  });

  test('resumes what a crash left in processing/, counting earlier attempts; drops stale marks', () => {
    const { dir, record, command, processed, processing, failed, attempts } = setUp({ maxAttempts: 3 });
    writeFlags(dir, [podIdentity(1), podIdentity(2), podIdentity(3)]);
    const [a, b, c] = flagFiles(list(dir));
    const mark = (name: string, n: number) => {
      mkdirSync(join(attempts, String(n)), { recursive: true });
      writeFileSync(join(attempts, String(n), name), '');
    };
    mkdirSync(processing);
    // a: the collector died during its first cleanup; b: during its last; c: not started.
    renameSync(join(dir, a), join(processing, a));
    mark(a, 1);
    renameSync(join(dir, b), join(processing, b));
    for (const n of [1, 2, 3]) mark(b, n);
    renameSync(join(dir, c), join(processing, c));
    // Marks of a file that already reached processed/.
    mark('gone.txt', 1);

    expect(runCollector(command, 'sh').status).toBe(0);
    expect(recordedCalls(record).map((call) => [call.pod, call.attempt])).toEqual([
      ['pod-001', '2'],
      ['pod-003', '1'],
    ]);
    expect(list(processed)).toEqual([a, c]);
    expect(list(failed)).toEqual([b]);
    expect(list(processing)).toEqual([]);
    expect([1, 2, 3].map((n) => list(join(attempts, String(n))))).toEqual([[], [], []]);
  });

  test(
    'killed with SIGKILL during a cleanup, a restarted collector repeats only that cleanup and loses nothing',
    async () => {
      const { dir, flagDirectory, record, processed, processing, attempts } = setUp();
      const blocking = [
        'sh',
        '-c',
        'printf "%s %s\\n" "$POD_NAME" "$CLEANUP_ATTEMPT" >> "$0"; if [ "$POD_NAME" = pod-002 ] && [ ! -e "$0.unblock" ]; then printf "%s" "$$" > "$0.blocked"; exec sleep 30; fi',
        record,
      ];
      const command = collectorCommand({ flagDirectory, cleanupCommand: blocking });
      writeFlags(dir, [podIdentity(1), podIdentity(2), podIdentity(3)]);
      const names = flagFiles(list(dir));

      const first = startInBackground(command, 'sh');
      await until(() => existsSync(`${record}.blocked`), 'the cleanup of pod-002 to start');
      killGroup(first);
      await first.exited;
      process.kill(Number(readFileSync(`${record}.blocked`, 'utf8')), 'SIGKILL');
      expect(list(processed)).toEqual([names[0]]);
      expect(list(processing)).toEqual([names[1], names[2]]);
      // pod-001's mark goes at the end of a pass, which the kill cut short.
      expect(list(join(attempts, '1'))).toEqual([names[0], names[1]]);

      writeFileSync(`${record}.unblock`, '');
      expect(runCollector(command, 'sh').status).toBe(0);
      expect(readFileSync(record, 'utf8')).toBe('pod-001 1\npod-002 1\npod-002 2\npod-003 1\n');
      expect(list(processed)).toEqual(names);
      expect(list(processing)).toEqual([]);
    },
    HEAVY,
  );

  test(
    'killed with SIGKILL after a cleanup succeeded but before its file moved, a restarted collector repeats that cleanup once, as the next attempt',
    async () => {
      const { root, dir, record, command, processed, processing } = setUp();
      // An mv (`mv -f FILE DIR/`) that hangs when it would move pod-002's file to processed/: the collector is
      // killed between the cleanup's success and the move.
      const bin = join(root, '..', 'bin');
      mkdirSync(bin);
      const realMv = execFileSync('sh', ['-c', 'command -v mv'], { encoding: 'utf8' }).trim();
      writeFileSync(
        join(bin, 'mv'),
        `#!/bin/sh\ncase $2$3 in */processing/pod-002.*/processed/) [ -e "${bin}/unblock" ] || { : > "${bin}/blocked"; exec sleep 30; } ;; esac\nexec ${realMv} "$@"\n`,
        { mode: 0o755 },
      );
      writeFlags(dir, [podIdentity(1), podIdentity(2), podIdentity(3)]);
      const names = flagFiles(list(dir));
      const first = startInBackground(command, 'sh', { PATH: `${bin}:${process.env.PATH}` });
      await until(() => existsSync(join(bin, 'blocked')), "the move of pod-002's file");
      killGroup(first);
      await first.exited;
      expect(list(processing)).toEqual([names[1], names[2]]);

      writeFileSync(join(bin, 'unblock'), '');
      expect(runCollector(command, 'sh').status).toBe(0);
      expect(recordedCalls(record).map((c) => [c.pod, c.attempt])).toEqual([
        ['pod-001', '1'],
        ['pod-002', '1'],
        ['pod-002', '2'],
        ['pod-003', '1'],
      ]);
      expect(list(processed)).toEqual(names);
    },
    HEAVY,
  );

  test(
    'stopped with SIGTERM during a cleanup while its successor waits for the lock (a deleted pod), every file is cleaned once',
    async () => {
      const { dir, flagDirectory, record, processed, processing } = setUp();
      const blocking = [
        'sh',
        '-c',
        // pod-002's cleanup waits (at most 20 s) for the test to let it finish.
        'printf "%s %s\\n" "$POD_NAME" "$CLEANUP_ATTEMPT" >> "$0"; if [ "$POD_NAME" = pod-002 ]; then : > "$0.blocked"; i=0; while [ ! -e "$0.unblock" ] && [ "$i" -lt 200 ]; do sleep 0.1; i=$((i + 1)); done; fi',
        record,
      ];
      const command = collectorCommand({ flagDirectory, cleanupCommand: blocking });
      writeFlags(dir, [podIdentity(1), podIdentity(2), podIdentity(3)]);
      const names = flagFiles(list(dir));
      const old = startInBackground(command, 'sh');
      await until(() => existsSync(`${record}.blocked`), 'the cleanup of pod-002 to start');
      const successor = startInBackground(command, 'sh', { COLLECTOR_PASSES: '1' });
      await until(() => successor.output().includes('another collector holds the lock; waiting'), 'the successor to wait');
      // The runtime signals only the container's first process, the collector's shell.
      old.child.kill('SIGTERM');
      writeFileSync(`${record}.unblock`, '');
      expect(await old.exited).toBe(0);
      expect(old.output()).toMatch(/processed: pod-002\.\S+: cleanup succeeded on attempt 1\n(.*\n)?prestop-audit-collector: stopping\n$/);
      expect(await successor.exited).toBe(0);
      expect(readFileSync(record, 'utf8')).toBe('pod-001 1\npod-002 1\npod-003 1\n');
      expect(list(processed)).toEqual(names);
      expect(list(processing)).toEqual([]);
    },
    HEAVY,
  );

  test(
    'a second collector on the node waits for the lock, then takes over',
    async () => {
      const { root, dir, record, command, processed } = setUp();
      writeFlags(dir, [podIdentity(1)]);
      const ready = join(root, '..', 'ready');
      const holder = spawn('flock', [join(root, '.collector.lock'), 'sh', '-c', ': > "$0"; exec sleep 30', ready], {
        detached: true,
        stdio: 'ignore',
      });
      const holderExited = new Promise((resolve) => holder.on('exit', resolve));
      await until(() => existsSync(ready), 'the other collector to hold the lock');
      const second = startInBackground(command, 'sh', { COLLECTOR_PASSES: '1' });
      await until(() => second.output().includes('another collector holds the lock; waiting'), 'the collector to wait');
      expect(recordedCalls(record)).toEqual([]);
      process.kill(-holder.pid!, 'SIGKILL');
      await holderExited;
      expect(await second.exited).toBe(0);
      expect(recordedCalls(record)).toHaveLength(1);
      expect(list(processed)).toHaveLength(1);
    },
    HEAVY,
  );

  // These two wait on real time (a poll interval, a cleanup timeout): they wait together.
  test.concurrent(
    '100 flag files written at once while the collector runs are each handled exactly once',
    async () => {
      const { root, dir, record, command, processed, failed } = setUp({ pollInterval: Duration.seconds(1) });
      const running = startInBackground(command, 'sh');
      await until(() => running.output().includes('watching'), 'the collector to start');
      const pods = Array.from({ length: 100 }, (_, i) => podIdentity(i));
      writeFlags(dir, pods);
      running.child.kill('SIGTERM');
      expect(await running.exited).toBe(0);
      expect(running.output()).toMatch(/stopping\n$/);
      // Whatever the running collector had not reached yet, a fresh pass takes.
      expect(runCollector(command, 'sh').status).toBe(0);

      const calls = recordedCalls(record);
      expect(calls.map((c) => c.pod).sort()).toEqual(pods.map((p) => p.POD_NAME));
      expect(new Set(calls.map((c) => c.uid)).size).toBe(100);
      expect(calls.every((c) => c.attempt === '1')).toBe(true);
      expect(list(processed)).toHaveLength(100);
      expect(list(failed)).toEqual([]);
      expect(list(root)).toEqual(STATE);
    },
    HEAVY,
  );

  test.concurrent(
    'a cleanup that outlives cleanupTimeout is killed and counts as a failed attempt',
    async () => {
      const { dir, flagDirectory, failed } = setUp();
      const command = collectorCommand({
        flagDirectory,
        maxAttempts: 1,
        cleanupTimeout: Duration.seconds(1),
        cleanupCommand: ['sh', '-c', 'exec sleep 30'],
      });
      writeFlags(dir, [podIdentity(1)]);
      const result = await runCollectorAsync(command, 'sh');
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/failed: pod-001\.\S+: cleanup failed with status 124 on attempt 1 of 1/);
      expect(list(failed)).toHaveLength(1);
    },
    HEAVY,
  );

  test('SIGTERM ends a pause at once and the loop exits with status 0', async () => {
    const { command } = setUp({ pollInterval: Duration.minutes(10) });
    const running = startInBackground(command, 'sh');
    await until(() => running.output().includes('watching'), 'the collector to start');
    running.child.kill('SIGTERM');
    try {
      expect(await running.exited).toBe(0);
      expect(running.output()).toMatch(/stopping\n$/);
    } finally {
      // A TERM just before the loop notes its sleep's PID leaves that 10-minute sleep behind,
      // holding the output pipes (a pod's runtime kills it with the container): end it here.
      killLeftovers(running);
    }
  });

  test('an image without flock or timeout stops the collector with a clear message', () => {
    const { command } = setUp();
    const result = runCollector(command, '/bin/sh', { PATH: '/nonexistent' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('prestop-audit-collector: the image has no flock (busybox and util-linux/coreutils have it)\n');
  });
});

// The shell of the collector image; plain sh where busybox is not installed.
const BUSYBOX = SHELLS.includes('busybox sh') ? 'busybox sh' : 'sh';

describe(`a hostile node: the collector fails the bad file, never itself (${BUSYBOX})`, () => {
  test('names of 250 and 255 bytes are processed, retried and marked like any other', () => {
    const { dir, flagDirectory, record, processed, failed, attempts } = setUp();
    writeFlags(dir, [podIdentity(1)]);
    const [valid] = flagFiles(list(dir));
    const content = readFileSync(join(dir, valid), 'utf8');
    const long = (n: number, c: string) => `${c.repeat(n - 4)}.txt`;
    for (const name of [long(250, 'a'), long(255, 'b'), long(255, 'c')]) writeFileSync(join(dir, name), content);
    const failing = ['sh', '-c', 'case ${FLAG_FILE##*/} in c*) exit 7 ;; esac; printf "%s\\n" "$FLAG_FILE" >> "$0"', record];
    const command = collectorCommand({ flagDirectory, maxAttempts: 2, cleanupCommand: failing });
    const first = runCollector(command, BUSYBOX);
    expect(first).toMatchObject({ status: 0, stderr: '' });
    expect(list(processed)).toEqual([long(250, 'a'), long(255, 'b'), valid]);
    expect(list(join(attempts, '1'))).toEqual([long(255, 'c')]);
    expect(runCollector(command, BUSYBOX).stdout).toContain(`failed: ${long(255, 'c')}: cleanup failed with status 7 on attempt 2 of 2`);
    expect(list(failed)).toEqual([long(255, 'c')]);
  });

  test('huge, endless and special files: at most 4096 bytes read, no wait, the good files processed', () => {
    const { root, dir, record, command, processed, processing, failed } = setUp();
    writeFlags(dir, [podIdentity(1), podIdentity(2)]);
    const good = flagFiles(list(dir));
    const content = readFileSync(join(dir, good[0]), 'utf8');
    const sparse = (name: string, head: string) => {
      writeFileSync(join(dir, name), head);
      truncateSync(join(dir, name), 2 ** 30);
    };
    // 1 GiB of NUL bytes: one endless line; and a valid header followed by 1 GiB.
    sparse('zeros.txt', '');
    sparse('long-tail.txt', content);
    writeFileSync(join(dir, 'late-end.txt'), content.replace('\n\n', `\n${'x'.repeat(5000)}\n\n`));
    // Never claimed: a FIFO no one writes, a symlink to an endless device.
    execFileSync('mkfifo', [join(dir, 'fifo.txt')]);
    symlinkSync('/dev/zero', join(dir, 'zero.txt'));
    // What a swap during the claim would move: a FIFO already in processing/.
    mkdirSync(processing);
    execFileSync('mkfifo', [join(processing, 'swapped.txt')]);

    const started = Date.now();
    const result = runCollector(command, BUSYBOX);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(list(processed)).toEqual([...good, 'long-tail.txt'].sort());
    expect(list(failed)).toEqual(['late-end.txt', 'swapped.txt', 'zeros.txt']);
    expect(result.stdout).toContain('failed: zeros.txt: not a flag file of format cdk8s-pod-lifecycle/prestop-flag/v1');
    expect(result.stdout).toContain('failed: late-end.txt: no header ending in an empty line within the first 4096 bytes');
    expect(result.stdout).toContain('failed: swapped.txt: not a regular file');
    expect(recordedCalls(record).map((c) => c.flagFile.slice(root.length))).toEqual(
      [...good, 'long-tail.txt'].sort().map((n) => `/processing/${n}`),
    );
    expect(list(dir)).toEqual(['fifo.txt', 'zero.txt']);
  });

  test('state replaced by files, links and directories is moved aside and made again; processing goes on', () => {
    const { root, dir, record, command, processed, failed } = setUp();
    writeFlags(dir, [podIdentity(1), podIdentity(2)]);
    writeFileSync(join(root, 'processed'), 'not a directory');
    writeFileSync(join(root, 'attempts'), '');
    symlinkSync('/', join(root, 'failed'));
    mkdirSync(join(root, '.collector.lock'));
    writeFileSync(join(dir, 'junk.txt'), 'junk');
    const result = runCollector(command, BUSYBOX);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/moved processed aside to processed\.not-a-directory\.\d+\.0: not a directory/);
    expect(recordedCalls(record)).toHaveLength(2);
    expect(list(processed)).toHaveLength(2);
    expect(list(failed)).toEqual(['junk.txt']);
    expect(
      readFileSync(
        join(
          root,
          list(root).find((n) => n.startsWith('processed.not-a-directory'))!,
        ),
        'utf8',
      ),
    ).toBe('not a directory');
    expect(existsSync('/junk.txt')).toBe(false);
  });

  test('claims and mark removals run in batches of at most 64 files, however long the backlog', () => {
    const { root, dir, command, processed } = setUp();
    writeFlags(dir, [podIdentity(1)]);
    const [valid] = flagFiles(list(dir));
    const content = readFileSync(join(dir, valid), 'utf8');
    for (let i = 0; i < 100; i++) writeFileSync(join(dir, `${String(i).padStart(200, '0')}.txt`), content);
    // mv and rm that log their argument counts, then do the work.
    const bin = join(root, '..', 'bin');
    mkdirSync(bin);
    for (const tool of ['mv', 'rm']) {
      const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
      writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $#" >> "${bin}/counts"\nexec ${real} "$@"\n`, { mode: 0o755 });
    }
    expect(runCollector(command, BUSYBOX, { PATH: `${bin}:${process.env.PATH}` }).status).toBe(0);
    expect(list(processed)).toHaveLength(101);
    const counts = readFileSync(join(bin, 'counts'), 'utf8').trim().split('\n');
    const largest = (tool: string) => Math.max(...counts.filter((l) => l.startsWith(tool)).map((l) => Number(l.split(' ')[1])));
    // -f, 64 files, the target directory.
    expect(largest('mv')).toBe(66);
    expect(largest('rm')).toBe(65);
  });
});

describe('bad props throw where they were written', () => {
  const cases: [string, Partial<PreStopAuditCollectorProps>, RegExp | string][] = [
    [
      'cleanupCommand empty',
      { cleanupCommand: [] },
      `PreStopAuditCollector 'test/collector' (prop cleanupCommand): [] is not a command: it needs a program as its first word`,
    ],
    ['cleanupCommand program empty', { cleanupCommand: ['', 'x'] }, `(prop cleanupCommand): ["","x"] is not a command`],
    ['cleanupCommand NUL', { cleanupCommand: ['sh', 'a\0b'] }, /prop cleanupCommand\[1\]\): "a\\u0000b" holds a NUL byte/],
    ['pollInterval zero', { pollInterval: Duration.seconds(0) }, /prop pollInterval\): 0 is not a whole number of seconds from 1 to 3600/],
    ['pollInterval fraction', { pollInterval: Duration.millis(500) }, /prop pollInterval\): 0.5 is not a whole number of seconds/],
    ['maxAttempts', { maxAttempts: 0 }, /prop maxAttempts\): 0 is not an integer from 1 to 100/],
    [
      'cleanupTimeout',
      { cleanupTimeout: Duration.days(2) },
      /prop cleanupTimeout\): 172800 is not a whole number of seconds from 1 to 86400/,
    ],
    ['image', { image: 'BusyBox' }, /prop image\): "BusyBox" is not a container image reference/],
    ['name', { name: 'Collector' }, /prop name\): "Collector" is not a DNS-1123 subdomain/],
    ['containerName', { containerName: 'a.b' }, /prop containerName\): "a.b" is not a DNS-1123 label/],
    ['labels', { labels: { 'bad key': 'x' } }, /prop labels key\): "bad key" is not a label key/],
  ];
  test.each(cases)('%s', (_, props, message) => {
    expect(() => new PreStopAuditCollector(newChart(), 'collector', { cleanupCommand: CLEANUP, ...props })).toThrow(message);
  });
});
