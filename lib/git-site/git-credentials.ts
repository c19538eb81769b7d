import * as kplus from 'cdk8s-plus-27';
import { GitCredentialFiles } from './git-clone-script';

/** Options for {@link GitCredentials.ssh}. */
export interface GitSshCredentialsOptions {
  /**
   * The Secret key holding the private key (the key of a `kubernetes.io/ssh-auth` Secret).
   * @default 'ssh-privatekey'
   */
  readonly privateKeyKey?: string;
  /**
   * The Secret key holding `known_hosts` lines for the git host (e.g. from `ssh-keyscan`,
   * checked against the host's published fingerprints).
   * @default 'known_hosts'
   */
  readonly knownHostsKey?: string;
}

/** Options for {@link GitCredentials.https}. */
export interface GitHttpsCredentialsOptions {
  /**
   * The Secret key holding the user name (the key of a `kubernetes.io/basic-auth` Secret).
   * @default 'username'
   */
  readonly usernameKey?: string;
  /**
   * The Secret key holding the password or access token.
   * @default 'password'
   */
  readonly passwordKey?: string;
}

/** One Secret key and the file name it is mounted as. */
export interface GitCredentialFile {
  /** The key in the Secret. */
  readonly key: string;
  /** The file name in the credentials directory. */
  readonly file: string;
}

/**
 * Credentials for a private repository, from an existing Secret. The Secret is mounted
 * read-only (mode 0400) in the git containers only; its values never appear in the
 * manifest, the URL or a command line.
 */
export class GitCredentials {
  /** An ssh key and the host's `known_hosts` entry: strict host key checking stays on. */
  public static ssh(secret: kplus.ISecret, options: GitSshCredentialsOptions = {}): GitCredentials {
    return new GitCredentials('ssh', secret, [
      { key: options.privateKeyKey ?? 'ssh-privatekey', file: 'ssh-privatekey' },
      { key: options.knownHostsKey ?? 'known_hosts', file: 'known_hosts' },
    ]);
  }

  /** A user name and a password or access token, given to git by a credential helper. */
  public static https(secret: kplus.ISecret, options: GitHttpsCredentialsOptions = {}): GitCredentials {
    return new GitCredentials('https', secret, [
      { key: options.usernameKey ?? 'username', file: 'username' },
      { key: options.passwordKey ?? 'password', file: 'password' },
    ]);
  }

  private constructor(
    /** How git authenticates. */
    public readonly kind: 'ssh' | 'https',
    /** The Secret holding the credentials. */
    public readonly secret: kplus.ISecret,
    /** Which Secret key is mounted as which file. */
    public readonly items: readonly GitCredentialFile[],
  ) {}

  /** Where the files are, once the Secret is mounted at `dir`. */
  public files(dir: string): GitCredentialFiles {
    return this.kind === 'ssh'
      ? { kind: 'ssh', privateKeyPath: `${dir}/ssh-privatekey`, knownHostsPath: `${dir}/known_hosts` }
      : { kind: 'https', usernamePath: `${dir}/username`, passwordPath: `${dir}/password` };
  }
}

/** Options for {@link GitCertificateAuthority.fromSecret} and {@link GitCertificateAuthority.fromConfigMap}. */
export interface GitCertificateAuthorityOptions {
  /**
   * The key holding the PEM bundle (one or more CA certificates).
   * @default 'ca.crt' (as in cert-manager's Secrets and the `kube-root-ca.crt` ConfigMap)
   */
  readonly key?: string;
}

/**
 * The CA bundle that an https git server's certificate is checked against, for a server
 * with a private CA (a GitLab or Gitea on a corporate CA). It is mounted read-only in the
 * git containers only and used for the repository's server only; certificate verification
 * is never turned off. A CA certificate is public: the file is mode 0444.
 */
export class GitCertificateAuthority {
  /** The bundle in a key of an existing Secret. */
  public static fromSecret(secret: kplus.ISecret, options: GitCertificateAuthorityOptions = {}): GitCertificateAuthority {
    return new GitCertificateAuthority(options.key ?? 'ca.crt', secret, undefined);
  }

  /** The bundle in a key of an existing ConfigMap (e.g. one trust-manager fills). */
  public static fromConfigMap(configMap: kplus.IConfigMap, options: GitCertificateAuthorityOptions = {}): GitCertificateAuthority {
    return new GitCertificateAuthority(options.key ?? 'ca.crt', undefined, configMap);
  }

  private constructor(
    /** The key holding the bundle. */
    public readonly key: string,
    /**
     * The Secret holding the bundle.
     * @default - none: it is in {@link configMap}
     */
    public readonly secret: kplus.ISecret | undefined,
    /**
     * The ConfigMap holding the bundle.
     * @default - none: it is in {@link secret}
     */
    public readonly configMap: kplus.IConfigMap | undefined,
  ) {}

  /** How errors show it: `Secret "corp-ca", key "ca.crt"`. */
  public toString(): string {
    const [kind, name] = this.secret ? ['Secret', this.secret.name] : ['ConfigMap', this.configMap!.name];
    return `${kind} ${JSON.stringify(name)}, key ${JSON.stringify(this.key)}`;
  }
}
