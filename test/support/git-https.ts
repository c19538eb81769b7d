import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './run';

/** The files of a test PKI: a CA and a certificate for 127.0.0.1 it signed. */
export interface TestTls {
  readonly dir: string;
  /** The CA certificate (PEM): what a client must trust. */
  readonly caCert: string;
  /** The server's certificate and key. */
  readonly cert: string;
  readonly key: string;
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

/** A private CA (like a corporate one) and a server certificate for 127.0.0.1 signed by it. */
export function makeTestTls(dir = tempDir('tls-')): TestTls {
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-days', '1', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-subj', '/CN=Test Private CA']);
  openssl(['req', ...ec, '-keyout', file('key.pem'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(file('ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('ext'),
    '-out',
    file('cert.pem'),
  ]);
  return { dir, caCert: file('ca.crt'), cert: file('cert.pem'), key: file('key.pem') };
}

/** A running {@link startGitHttpsServer}. */
export interface GitHttpsServer {
  /** `https://127.0.0.1:<port>/`: a repository `<root>/x.git` is `${base}x.git`. */
  readonly base: string;
  /** One line per request: "<user or -> <method> <path>". */
  readonly log: string;
  /**
   * With the `bytesLog` option: "open" per TCP connection, "close <sent> <received>" when it
   * closes (wire bytes, TLS included).
   */
  readonly bytesLog?: string;
  readonly process: ChildProcess;
}

// Next to this file; from the repository root when a bundle in .synth/ runs it (the bench).
const SERVER_SCRIPT = [join(__dirname, 'git-https-server.js'), join(__dirname, '..', 'test', 'support', 'git-https-server.js')].find(
  (path) => existsSync(path),
);

/**
 * Starts test/support/git-https-server.js: the repositories under `root` over https
 * (smart HTTP), behind basic auth when `user` is given, speaking only protocol v0 with `v0`.
 */
export async function startGitHttpsServer(
  root: string,
  tls: Pick<TestTls, 'cert' | 'key'>,
  options: { user?: string; password?: string; v0?: boolean; bytesLog?: boolean } = {},
): Promise<GitHttpsServer> {
  if (SERVER_SCRIPT === undefined) throw new Error(`git-https-server.js not found from ${__dirname}`);
  const logDir = tempDir('https-log-');
  const log = join(logDir, 'requests.log');
  writeFileSync(log, '');
  const bytesLog = options.bytesLog ? join(logDir, 'bytes.log') : undefined;
  if (bytesLog) writeFileSync(bytesLog, '');
  const env = bytesLog ? { ...process.env, GIT_HTTPS_SERVER_BYTES_LOG: bytesLog } : process.env;
  const server = spawn(
    process.execPath,
    [SERVER_SCRIPT, root, tls.cert, tls.key, options.user ?? '-', options.password ?? '-', log, ...(options.v0 ? ['v0'] : [])],
    { env },
  );
  const port = await new Promise<string>((resolve) => server.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  return { base: `https://127.0.0.1:${port}/`, log, bytesLog, process: server };
}
