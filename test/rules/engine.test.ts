import { MAX_ARG_STRLEN } from '../../lib/core/limits';
import { checkObjects } from '../../lib/testing';

const container = (extra: object = {}) => ({ name: 'c', image: 'busybox', ...extra });
const deployment = (spec: object, labels: object = { app: 'web' }) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec } },
});
const service = (selector: object, namespace = 'shop') => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'svc', namespace },
  spec: { selector, ports: [{ port: 80 }] },
});

describe('checkObjects, the rules engine', () => {
  test('a Service selecting no pod template in its namespace', () => {
    const d = deployment({ containers: [container()] });
    expect(checkObjects([d, service({ app: 'web' })])).toEqual([]);
    expect(checkObjects([d, service({ app: 'web' }, 'other')]).map((p) => p.rule)).toEqual(['service-selects-nothing']);
    const [p] = checkObjects([d, service({ app: 'wbe' })]);
    expect(p).toEqual({
      rule: 'service-selects-nothing',
      severity: 'error',
      object: { kind: 'Service', name: 'svc', namespace: 'shop' },
      index: 1,
      field: '/spec/selector',
      problem: 'selector {"app":"wbe"} matches no Pod or pod template in namespace shop in the app, so the Service has no endpoints',
      message:
        'Service \'svc\' in namespace shop at /spec/selector: selector {"app":"wbe"} matches no Pod or pod template in namespace shop in the app, so the Service has no endpoints',
      fix: expect.stringContaining('make the selector match'),
    });
    expect(checkObjects([d, { ...service({}), spec: { ports: [{ port: 80 }] } }])).toEqual([]); // no selector: Endpoints by hand
  });

  test('mounts without volume, duplicate names and mount paths', () => {
    const d = deployment({
      volumes: [{ name: 'data', emptyDir: {} }],
      initContainers: [container({ name: 'web' })],
      containers: [
        container({
          name: 'web',
          volumeMounts: [
            { name: 'data', mountPath: '/data' },
            { name: 'cache', mountPath: '/data' },
          ],
          volumeDevices: [{ name: 'disk', devicePath: '/dev/xvda' }],
        }),
      ],
    });
    expect(checkObjects([d]).map((p) => [p.rule, p.field])).toEqual([
      ['duplicate-container-name', '/spec/template/spec/containers/0/name'],
      ['mount-without-volume', '/spec/template/spec/containers/0/volumeMounts/1'],
      ['duplicate-mount-path', '/spec/template/spec/containers/0/volumeMounts/1/mountPath'],
      ['mount-without-volume', '/spec/template/spec/containers/0/volumeDevices/0'],
    ]);
    expect(checkObjects([d], { only: ['duplicate-mount-path'] }).map((p) => p.rule)).toEqual(['duplicate-mount-path']);
  });

  test('a grace period shorter than a preStop sleep (30 s when not set)', () => {
    const sleeping = (seconds: number, grace?: number) =>
      deployment({ terminationGracePeriodSeconds: grace, containers: [container({ lifecycle: { preStop: { sleep: { seconds } } } })] });
    expect(checkObjects([sleeping(30)])).toEqual([]);
    expect(checkObjects([sleeping(31)]).map((p) => p.problem)).toEqual([
      "the preStop sleep action of container 'c' sleeps 31s, longer than terminationGracePeriodSeconds 30 (the default): the API server rejects the pod (sleep.seconds must not exceed the grace period)",
    ]);
    expect(checkObjects([sleeping(10, 5)]).map((p) => p.field)).toEqual([
      '/spec/template/spec/containers/0/lifecycle/preStop/sleep/seconds',
    ]);
  });

  test('exec arguments and environment strings of MAX_ARG_STRLEN bytes or more', () => {
    const limit = 'x'.repeat(MAX_ARG_STRLEN - 1); // the longest allowed: 131071 bytes + NUL
    const over = 'é'.repeat(MAX_ARG_STRLEN / 2); // 131072 bytes in UTF-8
    const d = deployment({
      containers: [
        container({
          command: ['sh', '-c', limit],
          args: [over],
          env: [{ name: 'BIG', value: limit }],
          lifecycle: { postStart: { exec: { command: ['sh', '-c', over] } } },
          readinessProbe: { exec: { command: [limit] } },
        }),
      ],
    });
    expect(checkObjects([d]).map((p) => [p.rule, p.field])).toEqual([
      ['exec-argument-too-long', '/spec/template/spec/containers/0/args/0'],
      ['exec-argument-too-long', '/spec/template/spec/containers/0/lifecycle/postStart/exec/command/2'],
      ['env-value-too-long', '/spec/template/spec/containers/0/env/0/value'], // "BIG=" + value is over the limit
    ]);
    expect(checkObjects([d])[0].problem).toBe(
      "container 'c' has an exec argument of 131072 bytes, and Linux takes at most 131071 (MAX_ARG_STRLEN 131072 with its NUL): it fails with E2BIG every time it runs",
    );
  });
});

test('lone surrogates are named by their fields', () => {
  const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { ok: '🎉', bad: 'x\ud800', ['k\udc00']: 'v' } };
  expect(checkObjects([config]).map((f) => [f.rule, f.field])).toEqual([
    ['lone-surrogate', '/data/bad'],
    ['lone-surrogate', '/data/k\udc00'],
  ]);
});
