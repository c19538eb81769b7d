import { Testing } from 'cdk8s';
import { FlagFileDirectory, GitClonedSiteInit, HttpdWithPostStart, PreStopAuditCollector, PreStopAuditedPod } from '../lib';
import { synthValid } from './support/manifests';

// `metadata: { name: undefined }` erases cdk8s's generated name, and kubectl apply needs one:
// every construct, given no names, must still name every object it synthesizes.
test('with no names given, every object of every construct gets a generated, stable name', () => {
  const chart = Testing.chart();
  const flagDirectory = new FlagFileDirectory();
  new HttpdWithPostStart(chart, 'post-start');
  new PreStopAuditedPod(chart, 'audited', { flagDirectory });
  new PreStopAuditCollector(chart, 'collector', { flagDirectory, cleanupCommand: ['true'] });
  new GitClonedSiteInit(chart, 'git', { repository: 'https://example.com/site.git' });
  const manifests = synthValid(chart);
  expect(manifests.length).toBeGreaterThanOrEqual(7);
  for (const m of manifests) expect(m.metadata.name).toMatch(/^test-[a-z0-9-]+-c8[0-9a-f]{6}$/);
});
