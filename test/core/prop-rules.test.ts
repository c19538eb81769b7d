import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  atomicWrite,
  FlagFileDirectory,
  GitClonedSiteInit,
  HttpdWithPostStart,
  MAX_ARG_STRLEN,
  PreStopAuditCollector,
  PreStopAuditedPod,
  printText,
  PropError,
  WriteFileHook,
} from '../../lib';

// One test per rule: the code, the construct path, the prop, the value and the rule.

function errorOf(build: () => unknown): PropError {
  try {
    build();
  } catch (e) {
    if (e instanceof PropError) return e;
    throw e;
  }
  throw new Error('no PropError');
}

const chart = () => Testing.chart();

describe('exec arguments within MAX_ARG_STRLEN', () => {
  test('content of 40,960 single quotes (163,840 bytes once quoted) is ARG_TOO_LONG, naming the limit and the ConfigMap way', () => {
    const e = errorOf(() => new HttpdWithPostStart(chart(), 'web', { content: "'".repeat(40960) }));
    expect(e).toMatchObject({ code: 'ARG_TOO_LONG', constructPath: 'test/web', prop: 'content' });
    expect(e.rule).toMatch(/at most 131071 per argument \(MAX_ARG_STRLEN 131072 with its NUL\): it would fail with E2BIG/);
    expect(e.rule).toMatch(/contentFrom/);
  });

  test('a script of exactly MAX_ARG_STRLEN - 1 bytes is accepted, one byte more is not', () => {
    const overhead = new WriteFileHook({ path: '/w/f', content: '' }).command[2].length;
    const fits = 'x'.repeat(MAX_ARG_STRLEN - 1 - overhead);
    expect(Buffer.byteLength(new WriteFileHook({ path: '/w/f', content: fits }).command[2])).toBe(MAX_ARG_STRLEN - 1);
    expect(errorOf(() => new WriteFileHook({ path: '/w/f', content: `${fits}x` })).code).toBe('ARG_TOO_LONG');
  });

  test('flagLines and cleanupCommand are checked the same way', () => {
    const long = ['é'.repeat(70000)];
    expect(errorOf(() => new PreStopAuditedPod(chart(), 'audit', { flagLines: long }))).toMatchObject({
      code: 'ARG_TOO_LONG',
      prop: 'flagLines',
    });
    expect(errorOf(() => new PreStopAuditCollector(chart(), 'c', { cleanupCommand: ['/bin/echo', ...long] }))).toMatchObject({
      code: 'ARG_TOO_LONG',
      prop: 'cleanupCommand',
    });
  });
});

describe('file names and paths within NAME_MAX and PATH_MAX', () => {
  test('a fileName whose temporary name .NAME.tmp.PID passes 255 bytes is PATH_LENGTH; 242 bytes is the most', () => {
    expect(() => new HttpdWithPostStart(chart(), 'ok', { fileName: 'a'.repeat(242) })).not.toThrow();
    const e = errorOf(() => new HttpdWithPostStart(chart(), 'web', { fileName: 'a'.repeat(243) }));
    expect(e).toMatchObject({ code: 'PATH_LENGTH', constructPath: 'test/web', prop: 'fileName' });
    expect(e.rule).toMatch(/NAME_MAX \(255 bytes\), so at most 242 bytes/);
    // Bytes, not characters: 81 three-byte characters are 243 bytes.
    expect(errorOf(() => new HttpdWithPostStart(chart(), 'w2', { fileName: '✓'.repeat(81) })).code).toBe('PATH_LENGTH');
  });

  test('WriteFileHook paths and atomicWrite: long names, long paths', () => {
    expect(errorOf(() => new WriteFileHook({ path: `/dir/${'n'.repeat(250)}` })).code).toBe('PATH_LENGTH');
    expect(errorOf(() => atomicWrite(`/${Array(21).fill('d'.repeat(200)).join('/')}/f`, printText('x')))).toMatchObject({
      code: 'PATH_LENGTH',
      prop: 'path',
    });
  });

  test("atomicWrite('/dir/') and WriteFileHook({ path: '/' }) are rejected, and so are paths ending in '.' or '..'", () => {
    expect(errorOf(() => atomicWrite('/dir/', printText('x')))).toMatchObject({ code: 'ABSOLUTE_PATH', prop: 'path', value: '/dir/' });
    expect(errorOf(() => new WriteFileHook({ path: '/' }))).toMatchObject({ code: 'ABSOLUTE_PATH', prop: 'path', value: '/' });
    for (const path of ['/dir/.', '/dir/..', '/dir/']) expect(errorOf(() => new WriteFileHook({ path })).code).toBe('ABSOLUTE_PATH');
  });
});

describe('text the manifest cannot carry', () => {
  test('a lone surrogate in content is UNICODE; a NUL byte stays NUL_BYTE', () => {
    expect(errorOf(() => new HttpdWithPostStart(chart(), 'web', { content: 'a\ud800b' }))).toMatchObject({
      code: 'UNICODE',
      constructPath: 'test/web',
      prop: 'content',
    });
    expect(errorOf(() => new HttpdWithPostStart(chart(), 'web', { content: ['x', 'a\0b'] }))).toMatchObject({
      code: 'NUL_BYTE',
      prop: 'content[1]',
    });
  });

  test('exec words passed to the program as they are reject what kubectl would read differently: YAML_TEXT', () => {
    for (const word of ['a\u0085b', 'a\u2028b', '\u007f', '\uffff', '0o17', '0X1F', '\tfirst\nsecond', ' \n']) {
      const e = errorOf(() => new HttpdWithPostStart(chart(), 'web', { args: ['-D', word] }));
      expect(e).toMatchObject({ code: 'YAML_TEXT', constructPath: 'test/web', prop: 'args[1]', value: word });
    }
  });

  test('paths (mount paths, shells) are manifest fields: YAML_TEXT', () => {
    expect(errorOf(() => new HttpdWithPostStart(chart(), 'web', { htdocsPath: '/srv/\u2028' }))).toMatchObject({
      code: 'YAML_TEXT',
      prop: 'htdocsPath',
    });
    expect(errorOf(() => new FlagFileDirectory({ mountPath: '/flags\u0085' }))).toMatchObject({ code: 'YAML_TEXT', prop: 'mountPath' });
  });

  test('environment values are checked too', () => {
    const e = errorOf(
      () => new PreStopAuditCollector(chart(), 'c', { cleanupCommand: ['true'], envVariables: { A: kplus.EnvValue.fromValue('x\u009b') } }),
    );
    expect(e).toMatchObject({ code: 'YAML_TEXT', prop: 'envVariables["A"]' });
  });
});

describe('accepted silently before, errors now', () => {
  test('htdocsPath on the logs directory is MOUNT_PATH', () => {
    const e = errorOf(() => new HttpdWithPostStart(chart(), 'web', { htdocsPath: '/usr/local/apache2/logs' }));
    expect(e).toMatchObject({ code: 'MOUNT_PATH', constructPath: 'test/web', prop: 'htdocsPath', value: '/usr/local/apache2/logs' });
    expect(e.rule).toMatch(/httpd's logs volume/);
  });

  test('a flag directory mounted on htdocs or logs (or the collector /tmp) is MOUNT_PATH', () => {
    for (const mountPath of ['/usr/local/apache2/htdocs', '/usr/local/apache2/logs']) {
      const e = errorOf(() => new PreStopAuditedPod(chart(), 'audit', { flagDirectory: new FlagFileDirectory({ mountPath }) }));
      expect(e).toMatchObject({ code: 'MOUNT_PATH', constructPath: 'test/audit', prop: 'flagDirectory.mountPath', value: mountPath });
    }
    const flagDirectory = new FlagFileDirectory({ mountPath: '/tmp' });
    expect(errorOf(() => new PreStopAuditCollector(chart(), 'c', { flagDirectory, cleanupCommand: ['true'] }))).toMatchObject({
      code: 'MOUNT_PATH',
      prop: 'flagDirectory.mountPath',
    });
  });

  test("containerName 'git-clone', or 'git-sync' with syncInterval, is NAME_CLASH", () => {
    const repository = 'https://example.com/site.git';
    expect(errorOf(() => new GitClonedSiteInit(chart(), 'site', { repository, containerName: 'git-clone' }))).toMatchObject({
      code: 'NAME_CLASH',
      constructPath: 'test/site',
      prop: 'containerName',
      value: 'git-clone',
    });
    expect(() => new GitClonedSiteInit(chart(), 'site', { repository, containerName: 'git-sync' })).not.toThrow();
    expect(
      errorOf(() => new GitClonedSiteInit(chart(), 'site', { repository, containerName: 'git-sync', syncInterval: Duration.minutes(1) })),
    ).toMatchObject({ code: 'NAME_CLASH', value: 'git-sync' });
  });

  test('a user label cdk8s.io/metadata.addr is RESERVED_LABEL', () => {
    const e = errorOf(() => new HttpdWithPostStart(chart(), 'web', { labels: { 'cdk8s.io/metadata.addr': 'mine' } }));
    expect(e).toMatchObject({ code: 'RESERVED_LABEL', constructPath: 'test/web', prop: 'labels key', value: 'cdk8s.io/metadata.addr' });
  });

  test('a CPU or memory request above its limit is RESOURCES', () => {
    const cpu = { request: kplus.Cpu.millis(600), limit: kplus.Cpu.units(0.5) };
    expect(errorOf(() => new HttpdWithPostStart(chart(), 'web', { resources: { cpu } }))).toMatchObject({
      code: 'RESOURCES',
      constructPath: 'test/web',
      prop: 'resources.cpu',
      value: 'request 600m, limit 0.5',
    });
    const memory = { request: Size.gibibytes(1), limit: Size.mebibytes(512) };
    expect(errorOf(() => new PreStopAuditCollector(chart(), 'c', { cleanupCommand: ['true'], resources: { memory } }))).toMatchObject({
      code: 'RESOURCES',
      prop: 'resources.memory',
      value: 'request 1024Mi, limit 512Mi',
    });
    const git = { cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.millis(1999) } };
    expect(
      errorOf(() => new GitClonedSiteInit(chart(), 'site', { repository: 'https://example.com/s.git', gitResources: git })),
    ).toMatchObject({
      code: 'RESOURCES',
      prop: 'gitResources.cpu',
    });
    expect(
      () => new HttpdWithPostStart(chart(), 'ok', { resources: { cpu: { request: kplus.Cpu.units(0.5), limit: kplus.Cpu.millis(500) } } }),
    ).not.toThrow();
  });

  test('content and contentFrom together are PROP_CONFLICT; a bad key is CONFIG_MAP_KEY', () => {
    const c = chart();
    const configMap = new kplus.ConfigMap(c, 'page', { data: { 'index.html': 'hi' } });
    expect(errorOf(() => new HttpdWithPostStart(c, 'web', { content: 'x', contentFrom: { configMap, key: 'index.html' } }))).toMatchObject({
      code: 'PROP_CONFLICT',
      prop: 'contentFrom',
    });
    expect(errorOf(() => new HttpdWithPostStart(c, 'web2', { contentFrom: { configMap, key: '../x' } }))).toMatchObject({
      code: 'CONFIG_MAP_KEY',
      prop: 'contentFrom.key',
    });
  });
});
