// A git server over ssh inside the cluster, for GitClonedSiteInit's ssh transport: OpenSSH's
// sshd in the alpine/git image (as the real image's `openssh` package has it), serving the
// bare repositories of a HostRepo (git-server.ts) read-only from the same host directory.
// It makes its host keys at start (`ssh-keygen -A`: the image has none), so the suite pins
// the key it reads back from the pod, as a user pins a key checked against the host's
// published fingerprint. Logins: root with the one deploy key in authorized_keys, no
// passwords. A `privileged` namespace: sshd runs as root and the repository is a hostPath.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from './kube';

/** An ed25519 key pair made with the host's ssh-keygen. */
export interface SshKeyPair {
  /** The private key (OpenSSH format), for a `kubernetes.io/ssh-auth` Secret. */
  readonly privateKey: string;
  /** The public key line `ssh-ed25519 AAAA... comment`. */
  readonly publicKey: string;
}

/** Makes an ed25519 key pair without a passphrase in `dir` (files `<name>`, `<name>.pub`). */
export function sshKeyPair(dir: string, name: string): SshKeyPair {
  const path = join(dir, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `e2e-${name}`, '-f', path], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`ssh-keygen failed (${r.status}): ${r.stderr}${r.error?.message ?? ''}`);
  return { privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

/** The path of the host key the server makes, whose public half the suite pins. */
export const SSH_HOST_KEY_PUB = '/etc/ssh/ssh_host_ed25519_key.pub';

const SSHD_CONFIG = `Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile /etc/e2e-sshd/authorized_keys
# The ConfigMap's files are root's, 0644 behind symlinks: sshd's owner checks would refuse them.
StrictModes no
AllowTcpForwarding no
X11Forwarding no
LogLevel VERBOSE
`;

/**
 * The server's ConfigMap and Pod. `hostDir` is the HostRepo's directory (the repositories
 * are under `<hostDir>/srv/git`); `authorizedKey` is the deploy key's public line. Clients
 * clone `ssh://root@<pod IP>/srv/git/<name>.git`.
 */
export function sshGitServerObjects(namespace: string, name: string, hostDir: string, authorizedKey: string): Json[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace },
      data: { sshd_config: SSHD_CONFIG, authorized_keys: `${authorizedKey}\n` },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels: { 'e2e-app': name } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'sshd',
            image: 'alpine/git:2.49.1',
            imagePullPolicy: 'IfNotPresent',
            // -D: stay in the foreground as PID 1; -e: log to stderr, i.e. `kubectl logs`.
            command: ['/bin/sh', '-c', 'ssh-keygen -A && exec /usr/sbin/sshd -D -e -f /etc/e2e-sshd/sshd_config'],
            ports: [{ containerPort: 22, name: 'ssh' }],
            // An exec probe over loopback (the kubelet's network probes leave the kit's node).
            readinessProbe: {
              exec: { command: ['/bin/sh', '-c', 'ssh-keyscan -T 2 -t ed25519 127.0.0.1 2>/dev/null | grep -q ssh-ed25519'] },
              periodSeconds: 1,
            },
            volumeMounts: [
              { name: 'srv', mountPath: '/srv', readOnly: true },
              { name: 'config', mountPath: '/etc/e2e-sshd', readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: 'srv', hostPath: { path: join(hostDir, 'srv'), type: 'Directory' } },
          { name: 'config', configMap: { name } },
        ],
      },
    },
  ];
}
