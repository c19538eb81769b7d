import { Yaml } from 'cdk8s';
import { findLoneSurrogates, findRuntimeProblems, findYamlTextProblems, MAX_ARG_STRLEN } from '../../lib/testing';

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

describe('findRuntimeProblems', () => {
  test('a Service selecting no pod template in its namespace', () => {
    const d = deployment({ containers: [container()] });
    expect(findRuntimeProblems([d, service({ app: 'web' })])).toEqual([]);
    expect(findRuntimeProblems([d, service({ app: 'web' }, 'other')]).map((p) => p.rule)).toEqual(['service-selects-nothing']);
    const [p] = findRuntimeProblems([d, service({ app: 'wbe' })]);
    expect(p).toEqual({
      object: 'Service/shop/svc',
      path: '/spec/selector',
      rule: 'service-selects-nothing',
      message:
        'selector {"app":"wbe"} matches no Pod or pod template in namespace "shop" among these manifests, so the Service has no endpoints',
      fix: expect.stringContaining('make the selector match'),
    });
    expect(findRuntimeProblems([d, { ...service({}), spec: { ports: [{ port: 80 }] } }])).toEqual([]); // no selector: Endpoints by hand
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
    expect(findRuntimeProblems([d]).map((p) => [p.rule, p.path])).toEqual([
      ['duplicate-container-name', '/spec/template/spec/containers/0/name'],
      ['mount-without-volume', '/spec/template/spec/containers/0/volumeMounts/1'],
      ['duplicate-mount-path', '/spec/template/spec/containers/0/volumeMounts/1/mountPath'],
      ['mount-without-volume', '/spec/template/spec/containers/0/volumeDevices/0'],
    ]);
    expect(findRuntimeProblems([d], { skip: ['duplicate-container-name', 'mount-without-volume'] }).map((p) => p.rule)).toEqual([
      'duplicate-mount-path',
    ]);
  });

  test('a grace period shorter than a preStop sleep (30 s when not set)', () => {
    const sleeping = (seconds: number, grace?: number) =>
      deployment({ terminationGracePeriodSeconds: grace, containers: [container({ lifecycle: { preStop: { sleep: { seconds } } } })] });
    expect(findRuntimeProblems([sleeping(30)])).toEqual([]);
    expect(findRuntimeProblems([sleeping(31)]).map((p) => p.message)).toEqual([
      'container "c" sleeps 31s in its preStop hook, but the pod\'s grace period is 30s (the default): the kubelet kills the container before the sleep ends',
    ]);
    expect(findRuntimeProblems([sleeping(10, 5)]).map((p) => p.path)).toEqual([
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
    expect(findRuntimeProblems([d]).map((p) => p.path)).toEqual([
      '/spec/template/spec/containers/0/args/0',
      '/spec/template/spec/containers/0/env/0/value', // "BIG=" + value is over the limit
      '/spec/template/spec/containers/0/lifecycle/postStart/exec/command/2',
    ]);
    expect(findRuntimeProblems([d])[0].message).toBe(
      'container "c": exec argument of 131072 bytes; Linux allows at most 131071 per string (MAX_ARG_STRLEN, 128 KiB with the NUL), so execve fails with "argument list too long"',
    );
  });
});

describe('findYamlTextProblems', () => {
  test('finds what cdk8s writes raw and go-yaml refuses or reads as a line break', () => {
    const text = Yaml.stringify(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' }, data: { a: 'tab\there', b: 'escaped \x01', c: 'emoji 🎉' } },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'bad' },
        data: { del: 'x\x7fy', nel: 'x\x85y', ls: 'x\u2028y', ff: 'x\ufffey' },
      },
    );
    expect(findYamlTextProblems(text).map((p) => [p.document, p.codePoint, p.kind])).toEqual([
      [1, 'U+007F', 'rejected'],
      [1, 'U+0085', 'line-break'],
      [1, 'U+2028', 'line-break'],
      [1, 'U+FFFE', 'rejected'],
    ]);
    const [del] = findYamlTextProblems(text);
    expect(text.split('\n')[del.line - 1].slice(0, del.column - 1)).toBe('  del: "x');
    expect(del.message).toBe(
      'U+007F is a control character: kubectl\'s YAML decoder refuses the file ("control characters are not allowed")',
    );
  });

  test("every code point below U+0100 and the special ones, against go-yaml's reader", () => {
    const allowed = (cp: number) => cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0x7e) || cp >= 0xa0;
    for (let cp = 0; cp < 0x100; cp++) {
      const found = findYamlTextProblems(`a: ${String.fromCodePoint(cp)}`).map((p) => p.kind);
      expect([cp, found]).toEqual([cp, cp === 0x85 ? ['line-break'] : allowed(cp) ? [] : ['rejected']]);
    }
    expect(findYamlTextProblems('a: \u2029 \ufeff \ufffd \uffff \ud800 \u{10ffff}').map((p) => p.codePoint)).toEqual([
      'U+2029',
      'U+FFFF',
      'U+D800',
    ]);
  });

  test('findLoneSurrogates names the fields', () => {
    expect(findLoneSurrogates({ data: { ok: '🎉', bad: 'x\ud800', ['k\udc00']: 'v' } })).toEqual(['/data/bad', '/data/k\udc00']);
  });
});
