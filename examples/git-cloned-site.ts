import { Chart, ChartProps, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { GitClonedSiteInit, GitCredentials } from '../lib';

/**
 * The tutorial's init-container scenario: an init container clones a public repository into
 * an emptyDir and httpd serves it, behind the NodePort service `svc-nodeport-httpd-git`.
 */
export class GitClonedSiteChart extends Chart {
  public readonly site: GitClonedSiteInit;

  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.site = new GitClonedSiteInit(this, 'site', {
      repository: 'https://github.com/mdn/beginner-html-site-styled.git',
      deploymentName: 'httpd-git-site',
      serviceName: 'svc-nodeport-httpd-git',
      labels: { component: 'httpd' },
    });
  }
}

/**
 * A private repository over ssh, kept current by a sync sidecar: the `public/` directory
 * of branch `main`, checked every minute. The deploy key and the host's known_hosts line
 * come from the existing Secret `site-deploy-key`:
 *
 *   ssh-keyscan github.com > known_hosts   # compare with GitHub's published fingerprints
 *   kubectl create secret generic site-deploy-key \
 *     --from-file=ssh-privatekey=./deploy_key --from-file=known_hosts=./known_hosts
 */
export class PrivateGitSiteChart extends Chart {
  public readonly site: GitClonedSiteInit;

  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    this.site = new GitClonedSiteInit(this, 'site', {
      repository: 'git@github.com:example-org/private-site.git',
      ref: 'main',
      subPath: 'public',
      credentials: GitCredentials.ssh(kplus.Secret.fromSecretName(this, 'DeployKey', 'site-deploy-key')),
      syncInterval: Duration.minutes(1),
      deploymentName: 'private-site',
      serviceName: 'private-site',
      serviceType: kplus.ServiceType.CLUSTER_IP,
      labels: { component: 'private-site' },
    });
  }
}
