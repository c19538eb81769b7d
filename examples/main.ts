import { App } from 'cdk8s';
import { GitClonedSiteChart, PrivateGitSiteChart } from './git-cloned-site';
import { HttpdPostStartChart } from './httpd-with-post-start';
import { PreStopAuditCollectorChart } from './pre-stop-audit-collector';
import { PreStopAuditedPodChart } from './pre-stop-audited-pod';

/** Adds every example chart to `app`; `cdk8s synth` writes each to dist/<chart id>.k8s.yaml. */
export function buildExamples(app: App = new App()): App {
  new HttpdPostStartChart(app, 'httpd-post-start');
  new GitClonedSiteChart(app, 'git-cloned-site');
  new PrivateGitSiteChart(app, 'git-cloned-site-private');
  // One FlagFileDirectory for both charts: the same directory and flag-file format.
  const audited = new PreStopAuditedPodChart(app, 'pre-stop-audited-pod');
  new PreStopAuditCollectorChart(app, 'pre-stop-audit-collector', { flagDirectory: audited.audited.flagDirectory });
  return app;
}
