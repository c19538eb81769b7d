// A private CA: the https server's certificate is checked against the given bundle, for that
// server only; verification is never turned off.
import { existsSync, readdirSync } from 'node:fs';
import { GitCloneScript, PropContext } from '../../lib';
import { TestRepo } from '../support/git-repo';
import { GitHttpsServer, makeTestTls, startGitHttpsServer, TestTls } from '../support/git-https';
import { runGitScript, served } from '../support/git-script';
import { SHELLS, tempDir } from '../support/run';

(existsSync('/usr/bin/openssl') ? describe : describe.skip)('an https server with a private CA', () => {
  let tls: TestTls;
  let server: GitHttpsServer;
  let url: string;
  let head: string;

  beforeAll(async () => {
    tls = makeTestTls();
    const root = tempDir('https-root-');
    [head] = TestRepo.create('site.git', root).add({ branch: 'main', files: { 'index.html': 'private CA\n' } });
    server = await startGitHttpsServer(root, tls);
    url = `${server.base}site.git`;
  });
  afterAll(() => server.process.kill());

  test.each(SHELLS)('is cloned with the CA bundle (%s)', (shell) => {
    const dir = tempDir();
    const script = new GitCloneScript({ repository: url, caBundlePath: tls.caCert });
    const result = runGitScript(script.initScript.toCommand(), dir, shell);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`git-site: serving ${head}\n`);
    expect(served(dir).content).toBe('private CA\n');
    expect(script.initScript.render()).toContain(`'http.${server.base}.sslCAInfo=${tls.caCert}'`);
  });

  test('fails without it: the certificate is verified against the image bundle, which does not hold the CA', () => {
    const dir = tempDir();
    const result = runGitScript(new GitCloneScript({ repository: url }).initScript.toCommand(), dir);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toBe(`fatal: unable to access '${url}/': server certificate verification failed. CAfile: none CRLfile: none\n`);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('fails with a bundle of another CA', () => {
    const dir = tempDir();
    const result = runGitScript(new GitCloneScript({ repository: url, caBundlePath: makeTestTls().caCert }).initScript.toCommand(), dir);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/server certificate verification failed/);
  });
});

describe('caBundlePath', () => {
  const ctx = PropContext.named('Test');

  test('is only for https repositories', () => {
    expect(() => new GitCloneScript({ repository: 'git@example.com:site.git', caBundlePath: '/etc/ca.crt' }, ctx)).toThrow(
      'Test (prop caBundlePath): "/etc/ca.crt" is a CA bundle for an https server, but the repository "git@example.com:site.git" is not an https URL',
    );
  });

  test('is a plain absolute path', () => {
    expect(() => new GitCloneScript({ repository: 'https://example.com/site.git', caBundlePath: 'ca.crt' }, ctx)).toThrow(
      /\(prop caBundlePath\): "ca.crt" is not a plain absolute path/,
    );
  });

  test('never turns verification off', () => {
    const render = new GitCloneScript({ repository: 'https://example.com/site.git', caBundlePath: '/etc/ca.crt' }).initScript.render();
    expect(render).not.toMatch(/sslVerify|GIT_SSL_NO_VERIFY/i);
  });
});
