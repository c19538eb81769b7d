import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { atomicWrite, printLines, printText, sh, shellQuote, ShellCode, ShellScript } from '../lib';
import { HOSTILE_STRINGS } from './support/hostile';
import { runWithShell, SHELLS, tempDir } from './support/run';

/** Runs `script` with `shell` in a fresh directory; returns its stdout and the directory. */
function run(shell: string, script: ShellScript) {
  const cwd = tempDir();
  const result = runWithShell(script.toCommand(), shell, { cwd });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return { stdout: result.stdout, cwd };
}

describe.each(SHELLS)('scripts run by %s', (shell) => {
  test.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s), s]))('printText passes %s through literally', (_, text) => {
    const { stdout, cwd } = run(shell, new ShellScript().add(printText(text)));
    expect(stdout).toBe(text);
    expect(existsSync(join(cwd, 'PWNED'))).toBe(false);
  });

  test('printLines writes each hostile line followed by a newline', () => {
    const { stdout, cwd } = run(shell, new ShellScript().add(printLines(HOSTILE_STRINGS)));
    expect(stdout).toBe(HOSTILE_STRINGS.map((s) => `${s}\n`).join(''));
    expect(readdirSync(cwd)).toEqual([]);
  });

  test('printLines of no lines prints nothing', () => {
    expect(run(shell, new ShellScript().add(printLines([]))).stdout).toBe('');
  });

  test('sh`` quotes every interpolated value as one word, arrays as one word each', () => {
    const script = new ShellScript().add(sh`printf '<%s>' ${'a b'} ${['$(x)', "'"]} ${3}`);
    expect(run(shell, script).stdout).toBe("<a b><$(x)><'><3>");
  });

  test('ShellCode.trusted is spliced unquoted', () => {
    expect(run(shell, new ShellScript().add(sh`${ShellCode.trusted('printf ok')}`)).stdout).toBe('ok');
  });

  test('atomicWrite creates the directory, writes the file whole and leaves no temporary file', () => {
    const cwd = tempDir();
    const file = join(cwd, 'deep', 'dir with space', "it's.txt");
    const script = new ShellScript().add(atomicWrite(file, printLines(['one', '$(two)'])));
    const result = runWithShell(script.toCommand(), shell, { cwd });
    expect(result.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('one\n$(two)\n');
    expect(readdirSync(join(cwd, 'deep', 'dir with space'))).toEqual(["it's.txt"]);
  });

  test('a failing step fails the script (set -eu)', () => {
    const script = new ShellScript().add(sh`false`, sh`printf unreachable`);
    const result = runWithShell(script.toCommand(), shell);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
  });
});

test('shellQuote round-trips any string through a real sh (property)', () => {
  const cwd = tempDir();
  fc.assert(
    fc.property(
      fc.array(
        fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
        { maxLength: 8 },
      ),
      (words) => {
        const script = new ShellScript().add(sh`for w in ${words}; do printf '%s\\0' "$w"; done`);
        const result = runWithShell(script.toCommand(), 'sh', { cwd });
        expect(result.status).toBe(0);
        const expected = words.map((w) => `${w}\0`).join('');
        // Lone surrogates cannot be encoded as UTF-8; compare what the shell received.
        expect(result.stdout).toBe(Buffer.from(expected, 'utf8').toString('utf8'));
      },
    ),
    { numRuns: 60 },
  );
  expect(readdirSync(cwd)).toEqual([]);
});

test('shellQuote rejects a NUL byte, which no shell word can carry', () => {
  expect(() => shellQuote('a\0b')).toThrow(/NUL byte/);
});

test('shellQuote escapes single quotes the POSIX way', () => {
  expect(shellQuote("it's")).toBe(`'it'\\''s'`);
});

test('ShellScript runs under /bin/sh unless told otherwise', () => {
  expect(new ShellScript().add(sh`true`).toCommand()).toEqual(['/bin/sh', '-c', 'set -eu\ntrue\n']);
  expect(new ShellScript({ shell: '/bin/bash' }).toCommand()[0]).toBe('/bin/bash');
});
