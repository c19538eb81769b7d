import { App } from 'cdk8s';
import { GitClonedSiteChart, PrivateGitSiteChart } from './git-cloned-site';
import { HttpdPostStartChart } from './httpd-with-post-start';

/** Adds every example chart to `app`; `cdk8s synth` writes each to dist/<chart id>.k8s.yaml. */
export function buildExamples(app: App = new App()): App {
  new HttpdPostStartChart(app, 'httpd-post-start');
  new GitClonedSiteChart(app, 'git-cloned-site');
  new PrivateGitSiteChart(app, 'git-cloned-site-private');
  return app;
}
