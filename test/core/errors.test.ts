import { Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  addRawJsonPatch,
  FlagFileDirectory,
  GitClonedSiteInit,
  HttpdWithPostStart,
  PreStopAuditedPod,
  PropContext,
  PropError,
  setManifestField,
} from '../../lib';

function newChart(): Chart {
  return new Chart(Testing.app(), 'test');
}

function thrown(build: () => unknown): PropError {
  try {
    build();
  } catch (e) {
    expect(e).toBeInstanceOf(PropError);
    return e as PropError;
  }
  throw new Error('nothing was thrown');
}

describe('PropError', () => {
  test('carries the code, construct path, prop, value and rule, and the message keeps its form', () => {
    const e = thrown(() => new HttpdWithPostStart(newChart(), 'web', { nodePort: 80 }));
    expect(e).toMatchObject({
      code: 'NODE_PORT',
      constructPath: 'test/web',
      prop: 'nodePort',
      value: 80,
      rule: 'is not a NodePort (the default service-node-port-range) from 30000 to 32767',
      name: 'PropError',
    });
    expect(e.message).toBe(
      "HttpdWithPostStart 'test/web' (prop nodePort): 80 is not a NodePort (the default service-node-port-range) from 30000 to 32767",
    );
  });

  test('a building block outside a construct has no construct path', () => {
    const e = thrown(() => new FlagFileDirectory({ hostPath: 'relative' }));
    expect(e).toMatchObject({ code: 'ABSOLUTE_PATH', constructPath: undefined, prop: 'hostPath', value: 'relative' });
    expect(e.message).toMatch(/^FlagFileDirectory \(prop hostPath\): "relative" is not an absolute path/);
  });

  test('a long value is cut to about 200 characters with its length; the value itself is kept whole', () => {
    const url = `https://example.com/${'a'.repeat(40960)}`;
    const e = thrown(() => new GitClonedSiteInit(newChart(), 'site', { repository: `${url} x` }));
    expect(e.code).toBe('GIT_URL');
    expect(e.value).toBe(`${url} x`);
    expect(e.message.length).toBeLessThan(600);
    expect(e.message).toContain('… (40982 characters)');
  });

  test('codes are stable across the constructs', () => {
    const chart = newChart();
    expect(thrown(() => new PreStopAuditedPod(chart, 'a', { terminationGracePeriod: Duration.seconds(2) })).code).toBe('GRACE_PERIOD');
    expect(thrown(() => new HttpdWithPostStart(chart, 'b', { podName: 'Pod_A' })).code).toBe('DNS_SUBDOMAIN');
    expect(thrown(() => new HttpdWithPostStart(chart, 'c', { fileName: '../x' })).code).toBe('FILE_NAME');
    expect(thrown(() => new HttpdWithPostStart(chart, 'd', { labels: { app: 'a b' } })).code).toBe('LABEL');
    expect(thrown(() => new HttpdWithPostStart(chart, 'e', { servicePort: 0 })).code).toBe('PORT_RANGE');
    expect(thrown(() => new HttpdWithPostStart(chart, 'f', { content: 'a\0b' })).code).toBe('NUL_BYTE');
    expect(thrown(() => new HttpdWithPostStart(chart, 'g', { image: 'Bad Image' })).code).toBe('IMAGE_REFERENCE');
    expect(PropContext.named('x').error('COMMAND', 'p', [], 'r').code).toBe('COMMAND');
  });
});

describe('messages found by trying the library as a new user', () => {
  test('a syncInterval beyond int32 names the construct and syncInterval, not an internal API', () => {
    const e = thrown(
      () =>
        new GitClonedSiteInit(newChart(), 'site', { repository: 'https://example.com/s.git', syncInterval: Duration.seconds(2147483648) }),
    );
    expect(e.message).toBe(
      "GitClonedSiteInit 'test/site' (prop syncInterval): 2147483648 is not a whole number of seconds from 1 to 2147483647",
    );
  });

  test('a flag-file volume named like the htdocs volume is a NAME_CLASH on the prop that named it', () => {
    const e = thrown(
      () => new PreStopAuditedPod(newChart(), 'audited', { flagDirectory: new FlagFileDirectory({ volumeName: 'htdocs' }) }),
    );
    expect(e).toMatchObject({ code: 'NAME_CLASH', prop: 'flagDirectory.volumeName', value: 'htdocs' });
    expect(e.message).toContain('is the name of a volume the pod already has (htdocs, httpd-logs)');
  });

  test.each([
    [
      'addRawJsonPatch',
      (pod: kplus.Pod) => addRawJsonPatch(pod, JsonPatch.replace('/spec/nope/x', 1)),
      /^raw JSON patch 1 of 1 of 'test\/pod\/Resource' failed: /,
    ],
    [
      'setManifestField',
      (pod: kplus.Pod) => setManifestField(pod, '/spec/nope/x', 1),
      /^JSON patch of 'test\/pod\/Resource' failed \(setManifestField wrote: add \/spec\/nope\/x\): /,
    ],
  ])('%s with a pointer into nothing names the object and the pointer at synth', (_name, patch, message) => {
    const chart = newChart();
    const pod = new kplus.Pod(chart, 'pod', { containers: [{ image: 'busybox:1.36.1' }] });
    patch(pod);
    expect(() => Testing.synth(chart)).toThrow(message);
    expect(() => Testing.synth(chart)).not.toThrow(TypeError);
  });
});
