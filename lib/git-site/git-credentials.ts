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
