import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { TestTls } from './git-https';

/** A running test/support/git-silent-server.js: a remote that accepts and never answers. */
export interface SilentServer {
  readonly port: number;
  readonly process: ChildProcess;
}

/** Starts a silent remote on 127.0.0.1: TLS completed then silence with `tls`, TCP silence without. */
export async function startSilentServer(tls?: Pick<TestTls, 'cert' | 'key'>): Promise<SilentServer> {
  const server = spawn(process.execPath, [join(__dirname, 'git-silent-server.js'), ...(tls ? [tls.cert, tls.key] : [])]);
  const port = await new Promise<string>((resolve) => server.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  return { port: Number(port), process: server };
}
