import { App } from 'cdk8s';
import { HttpdPostStartChart } from './httpd-with-post-start';

/** Adds every example chart to `app`; `cdk8s synth` writes each to dist/<chart id>.k8s.yaml. */
export function buildExamples(app: App = new App()): App {
  new HttpdPostStartChart(app, 'httpd-post-start');
  return app;
}
