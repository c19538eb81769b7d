// A cdk8s-plus-33 app (what `cdk8s init typescript-app` installs today) that uses the
// constructs of cdk8s-pod-lifecycle as they are and its building blocks through their
// plain data: a cdk8s-plus-27 Handler or EnvValue is not assignable to cdk8s-plus-33's
// (TS2322, "separate declarations of a private property"), a string[] is.
import { ApiObject, App, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import {
  FlagFileDirectory,
  GIT_SITE,
  GitClonedSiteInit,
  GitCloneScript,
  HttpdWithPostStart,
  IMAGE_PINS,
  SecurityPreset,
  WriteFileHook,
} from 'cdk8s-pod-lifecycle';

const app = new App();

// The constructs create their own objects, so they work in an app of any cdk8s-plus.
new HttpdWithPostStart(new Chart(app, 'site'), 'web', { podName: 'pod-httpd', nodePort: 30080 });
new GitClonedSiteInit(new Chart(app, 'git-site'), 'site', { repository: 'https://github.com/mdn/beginner-html-site-styled.git' });

// The building blocks on cdk8s-plus-33 objects.
const blocks = new Chart(app, 'building-blocks');
const deployment = new kplus.Deployment(blocks, 'app', { replicas: 1 });
const page = new WriteFileHook({ path: '/www/index.html', content: 'hi from cdk8s-plus-33' });
const flags = new FlagFileDirectory({ hostPath: '/var/lib/prestop-flags' });
const preStop = flags.preStopHook({ containerName: 'app' });
const site = kplus.Volume.fromEmptyDir(blocks, 'site', 'git-site');
deployment.addContainer({
  name: 'app',
  image: IMAGE_PINS.collector,
  command: ['sh', '-c', 'exec httpd -f -p 8080 -h /www'],
  portNumber: 8080,
  lifecycle: {
    postStart: kplus.Handler.fromCommand([...page.command]),
    preStop: kplus.Handler.fromCommand([...preStop.command]),
  },
  envVariables: Object.fromEntries(
    Object.entries(preStop.envFieldRefs).map(([name, path]) => [name, kplus.EnvValue.fromFieldRef(path as kplus.EnvFieldPaths)]),
  ),
  volumeMounts: [
    { path: '/www', volume: kplus.Volume.fromEmptyDir(blocks, 'www', 'www') },
    {
      path: flags.mountPath,
      volume: kplus.Volume.fromHostPath(blocks, 'flags', flags.volumeName, {
        path: flags.hostPath,
        type: kplus.HostPathVolumeType.DIRECTORY_OR_CREATE,
      }),
    },
    { path: '/srv/site', volume: site, readOnly: true },
  ],
  securityContext: { ensureNonRoot: false, readOnlyRootFilesystem: true },
});
const clone = new GitCloneScript({ repository: 'https://github.com/mdn/beginner-html-site-styled.git' });
deployment.addInitContainer({
  name: GIT_SITE.initContainerName,
  image: IMAGE_PINS.git,
  command: clone.initScript.toCommand(),
  workingDir: GIT_SITE.mountPath,
  envVariables: { HOME: kplus.EnvValue.fromValue(GIT_SITE.homePath) },
  volumeMounts: [
    { path: GIT_SITE.mountPath, volume: site },
    { path: GIT_SITE.homePath, volume: kplus.Volume.fromEmptyDir(blocks, 'git-home', 'git-home') },
  ],
});
// A preset's security contexts are plain JSON too.
ApiObject.of(deployment).addJsonPatch(
  JsonPatch.add(
    '/spec/template/spec/initContainers/0/securityContext',
    SecurityPreset.restricted({ user: 65534, group: 65534 }).containerSecurityContext,
  ),
);

app.synth();
