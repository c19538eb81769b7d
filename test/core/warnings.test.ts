import { Chart, Duration, Testing } from 'cdk8s';
import { FlagFileDirectory, GitClonedSiteInit, HttpdWithPostStart, PreStopAuditedPod, Warnings } from '../../lib';
import { WARNINGS_ENV } from '../../lib/core/warnings';
import { warningsOf } from '../../lib/testing';

const repository = 'https://example.com/site.git';

function newChart(): Chart {
  return new Chart(Testing.app(), 'test');
}

describe('warnings', () => {
  test('a default construct with pinned images has none', () => {
    const chart = newChart();
    new HttpdWithPostStart(chart, 'web');
    new GitClonedSiteInit(chart, 'site', { repository });
    expect(warningsOf(chart)).toEqual([]);
  });

  test('risky choices warn on the construct that made them, with a code and a message', () => {
    const chart = newChart();
    new HttpdWithPostStart(chart, 'web', { image: 'httpd:latest' });
    new GitClonedSiteInit(chart, 'site', { repository, syncInterval: Duration.seconds(30), nativeSidecar: true, keepSymlinks: true });
    new PreStopAuditedPod(chart, 'audited', { flagDirectory: new FlagFileDirectory({ hostPath: '/tmp/flags' }) });
    expect(warningsOf(chart).map((w) => [w.constructPath, w.code])).toEqual([
      ['test/web', 'UNPINNED_IMAGE'],
      ['test/site', 'NATIVE_SIDECAR'],
      ['test/site', 'KEEP_SYMLINKS'],
      ['test/audited', 'HOST_PATH_IN_TMP'],
    ]);
    expect(warningsOf(chart)[0].message).toContain('"httpd:latest" names no fixed version');
  });

  test('an acknowledged code is silenced on that construct and below, not elsewhere', () => {
    const chart = newChart();
    const first = new HttpdWithPostStart(chart, 'first', { image: 'httpd' });
    new HttpdWithPostStart(chart, 'second', { image: 'httpd' });
    Warnings.of(first).acknowledge('UNPINNED_IMAGE', 'a test server');
    expect(warningsOf(chart).map((w) => w.constructPath)).toEqual(['test/second']);
    Warnings.of(chart.node.root).acknowledge('UNPINNED_IMAGE');
    expect(warningsOf(chart)).toEqual([]);
  });

  test('synth prints each warning once on stderr, unless silenced by the environment', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test');
    new HttpdWithPostStart(chart, 'web', { image: 'httpd' });
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const saved = process.env[WARNINGS_ENV];
    try {
      delete process.env[WARNINGS_ENV];
      app.synth();
      app.synth();
      process.env[WARNINGS_ENV] = 'silent';
      new HttpdWithPostStart(chart, 'other', { image: 'httpd' });
      app.synth();
    } finally {
      process.env[WARNINGS_ENV] = saved;
      spy.mockRestore();
    }
    expect(written).toEqual([expect.stringMatching(/^\[warning\] \[test\/web\] UNPINNED_IMAGE: .*acknowledge\('UNPINNED_IMAGE'\)/)]);
  });
});
