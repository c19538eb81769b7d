import { Duration } from 'cdk8s';
import { FlagFileDirectory, GitClonedSiteInit, GitCloneScript, PreStopAuditCollector, PreStopAuditedPod, sh } from '../../lib';
import { newChart } from '../support/manifests';

describe('FlagFileDirectory builds each distinct script once', () => {
  test('pods and collectors with the same options share one script; other options get their own', () => {
    const chart = newChart();
    const flagDirectory = new FlagFileDirectory();
    const [a, b] = ['a', 'b'].map((id) => new PreStopAuditedPod(chart, id, { flagDirectory }));
    const withLines = new PreStopAuditedPod(chart, 'c', { flagDirectory, flagLines: ['drained'] });
    expect(b.preStopHook.script).toBe(a.preStopHook.script);
    expect(withLines.preStopHook.script).not.toBe(a.preStopHook.script);
    expect(withLines.preStopHook.script.render()).toContain("'drained'");

    const collect = (id: string, pollInterval: Duration) =>
      new PreStopAuditCollector(chart, id, { flagDirectory, cleanupCommand: ['/bin/true'], pollInterval }).script.script;
    const [x, y, z] = [collect('x', Duration.seconds(5)), collect('y', Duration.seconds(5)), collect('z', Duration.seconds(7))];
    expect(y).toBe(x);
    expect(z).not.toBe(x);
    expect(z.render()).toContain("poll_seconds='7'");
  });

  test('another FlagFileDirectory with the same mount path shares the script; another mount path does not', () => {
    const options = { containerName: 'httpd' };
    const hook = new FlagFileDirectory().preStopHook(options);
    expect(new FlagFileDirectory({ hostPath: '/var/other' }).preStopHook(options).script).toBe(hook.script);
    const elsewhere = new FlagFileDirectory({ mountPath: '/audit' }).preStopHook(options);
    expect(elsewhere.script).not.toBe(hook.script);
    expect(elsewhere.script.render()).toContain("'/audit/.'");
  });

  test('a shared script is frozen: adding to it throws instead of changing every pod that uses it', () => {
    const { script } = new FlagFileDirectory().preStopHook({ containerName: 'httpd' });
    const before = script.render();
    expect(() => script.add(sh`echo more`)).toThrow(TypeError);
    expect(new FlagFileDirectory().preStopHook({ containerName: 'httpd' }).script.render()).toBe(before);
  });
});

describe('GitCloneScript builds each distinct clone script once', () => {
  const repository = 'https://example.com/site.git';

  test('sites of the same repository and options share the init script; another ref gets its own', () => {
    const chart = newChart();
    const [a, b] = ['a', 'b'].map((id) => new GitClonedSiteInit(chart, id, { repository }));
    const tagged = new GitClonedSiteInit(chart, 'c', { repository, ref: 'v2' });
    expect(b.script.initScript).toBe(a.script.initScript);
    expect(tagged.script.initScript).not.toBe(a.script.initScript);
    expect(tagged.script.initScript.render()).toContain("'refs/tags/v2'");
  });

  test('the shared script is frozen', () => {
    const { initScript: once } = new GitCloneScript({ repository });
    expect(() => once.add(sh`echo more`)).toThrow(TypeError);
    expect(new GitCloneScript({ repository }).initScript).toBe(once);
  });
});
