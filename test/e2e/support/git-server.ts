// A git server inside the cluster for GitClonedSiteInit: git's smart HTTP over https.
//
// Why not "dumb HTTP" (static files after `git update-server-info`): the construct always
// clones with `--depth`, and git refuses that over dumb HTTP ("dumb http transport does not
// support shallow capabilities"). So the pod runs `git http-backend` as a CGI of busybox
// httpd (alpine/git image, 127.0.0.1:8080) behind httpd (httpd image) terminating TLS on
// 443 and proxying to it. The bare repository and the TLS files live in a host directory
// (hostPath, so a `privileged` namespace): the suite pushes with the host's git and writes
// the certificate after it knows the pod's IP (pods have no DNS: clients use the IP).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from './kube';

/** Where the CA that alpine/git trusts is: the kit's test CA by default. */
/**
 * A CA the git image already trusts, to sign the server's certificate with instead of the
 * suite's own private CA (then sites need no `certificateAuthority`). @default - none: the
 * suite makes a private CA, which sites trust through GitCertificateAuthority
 */
export const TRUSTED_CA_DIR = process.env.E2E_GIT_CA_DIR;

function sh(cmd: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error?.message ?? ''}`);
  return r.stdout;
}

/** A bare repository at `<dir>/srv/git/site.git` and a work tree that pushes to it. */
export class HostRepo {
  public readonly bare: string;
  private readonly work: string;

  public constructor(private readonly dir: string) {
    this.bare = join(dir, 'srv', 'git', 'site.git');
    this.work = join(dir, 'work');
    mkdirSync(join(dir, 'srv', 'tls'), { recursive: true });
    sh('git', ['init', '-q', '--bare', '-b', 'main', this.bare]);
    // As GitHub and GitLab do: a partial clone (a site's subPath) gets only the blobs it needs.
    sh('git', ['--git-dir', this.bare, 'config', 'uploadpack.allowFilter', 'true']);
    sh('git', ['init', '-q', '-b', 'main', this.work]);
    sh('git', ['-C', this.work, 'remote', 'add', 'origin', this.bare]);
  }

  /**
   * Commits `files` (and removes `remove`) on `branch`, created from the current branch when
   * new, pushes it and returns the commit id.
   */
  public commit(branch: string, files: { readonly [path: string]: string }, message: string, remove: readonly string[] = []): string {
    const g = (...args: string[]) => sh('git', ['-C', this.work, '-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args]);
    const exists = (ref: string) => spawnSync('git', ['-C', this.work, 'rev-parse', '-q', '--verify', ref]).status === 0;
    if (exists(`refs/heads/${branch}`)) g('checkout', '-q', branch);
    else if (exists('HEAD')) g('checkout', '-q', '-b', branch);
    else g('symbolic-ref', 'HEAD', `refs/heads/${branch}`);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(this.work, path, '..'), { recursive: true });
      writeFileSync(join(this.work, path), text);
    }
    if (remove.length) g('rm', '-q', '--', ...remove);
    g('add', '-A');
    g('commit', '-q', '-m', message);
    g('push', '-q', 'origin', `${branch}:refs/heads/${branch}`);
    return g('rev-parse', 'HEAD').trim();
  }

  /**
   * The server's certificate for `ip`, signed by the test CA, into `<dir>/srv/tls/`.
   * Written last: the server waits for `tls.crt`.
   */
  /**
   * Makes a second bare repository `<name>.git` beside the site's, holding `files`, and
   * commits it on `branch` of the site as a submodule at `<name>/`, with the relative URL
   * `../<name>.git` (so it resolves against whatever URL the site is cloned from). Returns the
   * site's commit id.
   */
  public commitSubmodule(branch: string, name: string, files: { readonly [path: string]: string }): string {
    const bare = join(this.dir, 'srv', 'git', `${name}.git`);
    const work = join(this.dir, `work-${name}`);
    const id = ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid'];
    sh('git', ['init', '-q', '--bare', '-b', 'main', bare]);
    sh('git', ['init', '-q', '-b', 'main', work]);
    for (const [path, text] of Object.entries(files)) writeFileSync(join(work, path), text);
    sh('git', ['-C', work, 'add', '-A']);
    sh('git', ['-C', work, ...id, 'commit', '-q', '-m', `${name} v1`]);
    sh('git', ['-C', work, 'push', '-q', bare, 'main:refs/heads/main']);
    const subCommit = sh('git', ['-C', work, 'rev-parse', 'HEAD']).trim();
    sh('git', ['-C', this.work, 'checkout', '-q', '-b', branch]);
    writeFileSync(join(this.work, '.gitmodules'), `[submodule "${name}"]\n\tpath = ${name}\n\turl = ../${name}.git\n`);
    sh('git', ['-C', this.work, 'add', '.gitmodules']);
    // A gitlink entry: the submodule's commit, without cloning it into the work tree.
    sh('git', ['-C', this.work, 'update-index', '--add', '--cacheinfo', `160000,${subCommit},${name}`]);
    sh('git', ['-C', this.work, ...id, 'commit', '-q', '-m', `submodule ${name}`]);
    sh('git', ['-C', this.work, 'push', '-q', 'origin', `${branch}:refs/heads/${branch}`]);
    return sh('git', ['-C', this.work, 'rev-parse', 'HEAD']).trim();
  }

  /**
   * Issues the server's certificate for `ip`, signed by a private CA made here (or by
   * {@link TRUSTED_CA_DIR}), and returns that CA's certificate (PEM) for the sites to trust.
   */
  public issueCertificate(ip: string): string {
    const work = join(this.dir, 'pki');
    mkdirSync(work, { recursive: true });
    const caDir = TRUSTED_CA_DIR ?? work;
    const ca = join(caDir, 'ca.crt');
    const caKey = join(caDir, 'ca.key');
    if (TRUSTED_CA_DIR === undefined) {
      sh('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=e2e private git CA',
        '-keyout',
        caKey,
        '-out',
        ca,
      ]);
    } else if (!existsSync(ca) || !existsSync(caKey)) {
      throw new Error(`no CA at ${TRUSTED_CA_DIR} (ca.crt, ca.key): E2E_GIT_CA_DIR must name one the git image trusts`);
    }
    const tls = join(this.dir, 'srv', 'tls');
    writeFileSync(
      join(work, 'ext'),
      `subjectAltName=IP:${ip}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
    );
    sh('openssl', [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(tls, 'tls.key'),
      '-subj',
      '/CN=e2e-git-server',
      '-out',
      join(work, 'tls.csr'),
    ]);
    sh('openssl', [
      'x509',
      '-req',
      '-in',
      join(work, 'tls.csr'),
      '-CA',
      ca,
      '-CAkey',
      caKey,
      '-CAserial',
      join(work, 'ca.srl'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      join(work, 'ext'),
      '-out',
      join(work, 'tls.crt'),
    ]);
    sh('mv', [join(work, 'tls.crt'), join(tls, 'tls.crt')]);
    return readFileSync(ca, 'utf8');
  }
}

const HTTPD_CONF = `ServerRoot "/usr/local/apache2"
PidFile "logs/httpd.pid"
DefaultRuntimeDir "logs"
Listen 443
LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule ssl_module modules/mod_ssl.so
LoadModule socache_shmcb_module modules/mod_socache_shmcb.so
LoadModule proxy_module modules/mod_proxy.so
LoadModule proxy_http_module modules/mod_proxy_http.so
<IfModule !unixd_module>
LoadModule unixd_module modules/mod_unixd.so
</IfModule>
<IfModule !log_config_module>
LoadModule log_config_module modules/mod_log_config.so
</IfModule>
User www-data
Group www-data
ServerName e2e-git-server
ErrorLog /proc/self/fd/2
LogLevel warn
LogFormat "%h %t \\"%r\\" %>s %b" common
CustomLog /proc/self/fd/1 common
SSLEngine on
SSLCertificateFile /srv/tls/tls.crt
SSLCertificateKeyFile /srv/tls/tls.key
ProxyPass "/git/" "http://127.0.0.1:8080/cgi-bin/git/"
`;

const CGI = `#!/bin/sh
export GIT_PROJECT_ROOT=/srv/git GIT_HTTP_EXPORT_ALL=1
exec git http-backend
`;

/** The server's ConfigMap and Pod; `hostDir` is the HostRepo's directory. */
export function gitServerObjects(namespace: string, name: string, hostDir: string): Json[] {
  const mount = { name: 'srv', mountPath: '/srv', readOnly: true };
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { 'httpd.conf': HTTPD_CONF, git: CGI } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels: { 'e2e-app': name } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'tls',
            image: 'httpd:2.4.65',
            imagePullPolicy: 'IfNotPresent',
            // The certificate names the pod's IP, so it is issued after the pod started.
            command: ['/bin/sh', '-c', 'until [ -s /srv/tls/tls.crt ]; do sleep 0.2; done; exec httpd-foreground'],
            ports: [{ containerPort: 443, name: 'https' }],
            // An exec probe over loopback: the kubelet's network probes leave the kit's node (kube.ts).
            readinessProbe: { exec: { command: ['/bin/bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/443'] }, periodSeconds: 1 },
            volumeMounts: [mount, { name: 'config', mountPath: '/usr/local/apache2/conf/httpd.conf', subPath: 'httpd.conf' }],
          },
          {
            name: 'backend',
            image: 'alpine/git:2.49.1',
            imagePullPolicy: 'IfNotPresent',
            command: ['busybox', 'httpd', '-f', '-p', '127.0.0.1:8080', '-h', '/www'],
            volumeMounts: [mount, { name: 'cgi', mountPath: '/www/cgi-bin' }],
          },
        ],
        volumes: [
          { name: 'srv', hostPath: { path: join(hostDir, 'srv'), type: 'Directory' } },
          { name: 'config', configMap: { name } },
          { name: 'cgi', configMap: { name, items: [{ key: 'git', path: 'git', mode: 0o755 }] } },
        ],
      },
    },
  ];
}
