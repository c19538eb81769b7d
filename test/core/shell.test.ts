import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { atomicWrite, printLines, printText, sh, shellQuote, ShellCode, ShellScript } from '../../lib';
import { HOSTILE_STRINGS } from '../support/hostile';
import { Batch, runAll, SHELLS, tempDir } from '../support/run';

describe.each(SHELLS)('scripts run by %s', (shell) => {
  // Every script of this block runs in one batch, each with its own process and directory.
  const batch = new Batch();
  function run(script: ShellScript, cwd = tempDir()) {
    const result = batch.add(() => ({ command: script.toCommand(), shell, cwd }));
    return () => ({ ...result(), cwd });
  }
  /** Runs `script` in a fresh directory; returns its stdout and the directory. */
  function runClean(script: ShellScript) {
    const ran = run(script);
    return () => {
      const { stdout, stderr, status, cwd } = ran();
      expect(stderr).toBe('');
      expect(status).toBe(0);
      return { stdout, cwd };
    };
  }

  test.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s), s, runClean(new ShellScript().add(printText(s)))] as const))(
    'printText passes %s through literally',
    (_, text, ran) => {
      const { stdout, cwd } = ran();
      expect(stdout).toBe(text);
      expect(existsSync(join(cwd, 'PWNED'))).toBe(false);
    },
  );

  const hostileLines = runClean(new ShellScript().add(printLines(HOSTILE_STRINGS)));
  test('printLines writes each hostile line followed by a newline', () => {
    const { stdout, cwd } = hostileLines();
    expect(stdout).toBe(HOSTILE_STRINGS.map((s) => `${s}\n`).join(''));
    expect(readdirSync(cwd)).toEqual([]);
  });

  const noLines = runClean(new ShellScript().add(printLines([])));
  test('printLines of no lines prints nothing', () => {
    expect(noLines().stdout).toBe('');
  });

  const words = runClean(new ShellScript().add(sh`printf '<%s>' ${'a b'} ${['$(x)', "'"]} ${3}`));
  test('sh`` quotes every interpolated value as one word, arrays as one word each', () => {
    expect(words().stdout).toBe("<a b><$(x)><'><3>");
  });

  const trusted = runClean(new ShellScript().add(sh`${ShellCode.trusted('printf ok')}`));
  test('ShellCode.trusted is spliced unquoted', () => {
    expect(trusted().stdout).toBe('ok');
  });

  const atomicDir = tempDir();
  const file = join(atomicDir, 'deep', 'dir with space', "it's.txt");
  const atomic = run(new ShellScript().add(atomicWrite(file, printLines(['one', '$(two)']))), atomicDir);
  test('atomicWrite creates the directory, writes the file whole and leaves no temporary file', () => {
    expect(atomic().status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('one\n$(two)\n');
    expect(readdirSync(join(atomicDir, 'deep', 'dir with space'))).toEqual(["it's.txt"]);
  });

  const failing = run(new ShellScript().add(sh`false`, sh`printf unreachable`));
  test('a failing step fails the script (set -eu)', () => {
    const result = failing();
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
  });
});

test('shellQuote round-trips any string through each real shell: sh, bash, busybox sh (property)', () => {
  const cwd = tempDir();
  // Any code point but NUL (which no shell word can carry), lone surrogates included: what
  // `unit: 'binary'` draws, without the table of all 1.1M code points it builds first (~1 s).
  const codePoint = fc.integer({ min: 1, max: 0x10ffff }).map((n) => String.fromCodePoint(n));
  const words = fc.array(fc.string({ unit: codePoint, maxLength: 40 }), { maxLength: 8 });
  // 3 runs of 20 lists of words, each list a loop of its own in one script (one process per
  // shell and run); a failure shrinks to the words that break.
  fc.assert(
    fc.property(fc.array(words, { minLength: 20, maxLength: 20 }), (lists) => {
      const script = new ShellScript().add(...lists.map((list) => sh`for w in ${list}; do printf '%s\\0' "$w"; done`));
      const expected = lists.flatMap((list) => list.map((w) => `${w}\0`)).join('');
      for (const result of runAll(SHELLS.map((shell) => ({ command: script.toCommand(), shell, cwd })))) {
        expect(result).toEqual({
          status: 0,
          // Lone surrogates cannot be encoded as UTF-8; compare what the shell received.
          stdout: Buffer.from(expected, 'utf8').toString('utf8'),
          stderr: '',
        });
      }
    }),
    { numRuns: 3 },
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
