// A user's charts, using every public construct of cdk8s-pod-lifecycle.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  FlagFileDirectory,
  GitClonedSiteInit,
  HttpdWithPostStart,
  PreStopAuditCollector,
  PreStopAuditedPod,
  SecurityPreset,
  WriteFileHook,
} from 'cdk8s-pod-lifecycle';

/** Adds the charts to `app`; main.ts synthesizes them, check-testing.ts tests them. */
export function buildApp(app: App): App {
  new HttpdWithPostStart(new Chart(app, 'site'), 'web', {
    podName: 'pod-httpd',
    serviceName: 'svc-nodeport-httpd',
    content: ['Hello from the postStart hook', 'quotes \' " and $(this) stay literal'],
    nodePort: 30080,
  });

  const blocks = new Chart(app, 'building-blocks');
  const deployment = new kplus.Deployment(blocks, 'app', { replicas: 1 });
  const container = deployment.addContainer({
    image: 'busybox:1.36',
    command: ['sh', '-c', 'exec httpd -f -p 8080 -h /www'],
    lifecycle: { postStart: new WriteFileHook({ path: '/www/index.html', content: 'hi' }).handler },
    volumeMounts: [{ path: '/www', volume: kplus.Volume.fromEmptyDir(blocks, 'www', 'www') }],
  });
  const preset = SecurityPreset.restricted();
  preset.applyToContainer(deployment, container);
  preset.applyToPod(deployment);

  new GitClonedSiteInit(new Chart(app, 'git-site'), 'site', {
    repository: 'https://github.com/mdn/beginner-html-site-styled.git',
    ref: 'main',
  });

  const audit = new Chart(app, 'audit');
  const flagDirectory = new FlagFileDirectory();
  new PreStopAuditedPod(audit, 'pod', { flagDirectory, podName: 'pod-httpd-audited' });
  new PreStopAuditCollector(audit, 'collector', { flagDirectory, cleanupCommand: ['/bin/sh', '-c', 'printf "%s\\n" "$POD_NAME"'] });

  // ---- more constructs: add each new public construct here, in a chart of its own, ----
  // ---- and list that chart in EXPECTED in check-dist.js.                            ----

  return app;
}
