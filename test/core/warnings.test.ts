import { Chart, Duration, Testing } from 'cdk8s';
import { FlagFileDirectory, GitClonedSiteInit, HttpdWithPostStart, PreStopAuditCollector, PreStopAuditedPod, Warnings } from '../../lib';
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

  /** What `app.synth()` writes on stderr, with the warnings printed (as in `cdk8s synth`). */
  function stderrOfSynth(build: (app: ReturnType<typeof Testing.app>) => void, synths = 1): string[] {
    const app = Testing.app();
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const saved = process.env[WARNINGS_ENV];
    try {
      delete process.env[WARNINGS_ENV];
      build(app);
      for (let i = 0; i < synths; i++) app.synth();
    } finally {
      process.env[WARNINGS_ENV] = saved;
      spy.mockRestore();
    }
    return written;
  }

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
    expect(written).toEqual([
      expect.stringMatching(/^\[warning\] UNPINNED_IMAGE \(1 construct: test\/web\): .*acknowledge\('UNPINNED_IMAGE', reason\)\)\n$/),
    ]);
  });

  test('one line per code, with the count and the construct paths, however many constructs share it', () => {
    const written = stderrOfSynth((app) => {
      const chart = new Chart(app, 'tutorial');
      const flagDirectory = new FlagFileDirectory({ hostPath: '/tmp/ListOfDeletedPods' });
      for (let i = 0; i < 7; i++) new PreStopAuditedPod(chart, `web${i}`, { flagDirectory });
      new HttpdWithPostStart(chart, 'latest', { image: 'httpd:latest' });
    }, 2);
    expect(written).toEqual([
      expect.stringMatching(
        /^\[warning\] HOST_PATH_IN_TMP \(7 constructs: tutorial\/web0, tutorial\/web1, tutorial\/web2, tutorial\/web3, tutorial\/web4, and 2 more\): the flag files are kept in \/tmp\/ListOfDeletedPods: /,
      ),
      expect.stringMatching(/^\[warning\] UNPINNED_IMAGE \(1 construct: tutorial\/latest\): /),
    ]);
  });

  test('acknowledged on the app, a code is silent everywhere; other codes still print', () => {
    const written = stderrOfSynth((app) => {
      Warnings.of(app).acknowledge('HOST_PATH_IN_TMP', 'our nodes keep /tmp on disk');
      const flagDirectory = new FlagFileDirectory({ hostPath: '/tmp/flags' });
      new PreStopAuditedPod(new Chart(app, 'a'), 'web', { flagDirectory });
      new PreStopAuditedPod(new Chart(app, 'b'), 'web', { flagDirectory, image: 'httpd' });
    });
    expect(written).toEqual([expect.stringMatching(/^\[warning\] UNPINNED_IMAGE \(1 construct: b\/web\)/)]);
  });

  test('an app built from the defaults alone prints nothing', () => {
    const written = stderrOfSynth((app) => {
      const chart = new Chart(app, 'defaults');
      new HttpdWithPostStart(chart, 'web');
      new GitClonedSiteInit(chart, 'site', { repository });
      const flagDirectory = new FlagFileDirectory();
      new PreStopAuditedPod(chart, 'audited', { flagDirectory });
      new PreStopAuditCollector(chart, 'collector', { flagDirectory, cleanupCommand: ['true'] });
    });
    expect(written).toEqual([]);
  });
});
