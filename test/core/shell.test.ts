import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { atomicWrite, printLines, printText, sh, shellQuote, ShellScript } from '../../lib';
import { ShellCode } from '../../lib/core/shell';
import { EDGE_CODE_POINTS, HOSTILE_STRINGS } from '../support/hostile';
import { Batch, runAll, SHELLS, tempDir } from '../support/run';
import { goYamlReaderProblems, synthYaml } from '../support/yaml-round-trip';

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

// Any code point but NUL (which no shell word can carry) and the surrogates (a lone one is no
// character: a PropError), from every plane: what `unit: 'binary'` draws, without the table
// of all 1.1M code points it builds first (~1 s). Half of the draws are edge characters:
// the ones the YAML writer and go-yaml disagree on, the C0 controls, the noncharacters and
// the ends of each plane.
const anyCodePoint = fc
  .oneof(fc.integer({ min: 1, max: 0x10ffff }), fc.constantFrom(...EDGE_CODE_POINTS))
  .filter((n) => n < 0xd800 || n > 0xdfff)
  .map((n) => String.fromCodePoint(n));
const anyText = fc.string({ unit: fc.oneof(anyCodePoint, fc.constantFrom("'", '%', '\\', '\n', 'a', ' ')), maxLength: 40 });

/** The YAML problems of a script as the manifest holds it (an exec command's words). */
function scriptYamlProblems(script: ShellScript): string[] {
  return goYamlReaderProblems(synthYaml([{ command: script.toCommand() }]));
}

test('shellQuote round-trips any string through each real shell: sh, bash, busybox sh (property)', () => {
  const cwd = tempDir();
  const words = fc.array(anyText, { maxLength: 8 });
  // 3 runs of 20 lists of words, each list a loop of its own in one script (one process per
  // shell and run); a failure shrinks to the words that break.
  fc.assert(
    fc.property(fc.array(words, { minLength: 20, maxLength: 20 }), (lists) => {
      const script = new ShellScript().add(...lists.map((list) => sh`for w in ${list}; do printf '%s\\0' "$w"; done`));
      expect(scriptYamlProblems(script)).toEqual([]);
      const expected = lists.flatMap((list) => list.map((w) => `${w}\0`)).join('');
      for (const result of runAll(SHELLS.map((shell) => ({ command: script.toCommand(), shell, cwd })))) {
        expect(result).toEqual({ status: 0, stdout: expected, stderr: '' });
      }
    }),
    { numRuns: 3 },
  );
  expect(readdirSync(cwd)).toEqual([]);
});

test('printText and printLines write any text byte for byte, and the script holds no character the YAML cannot carry (property)', () => {
  const cwd = tempDir();
  // Per run: 10 texts and 10 lists of lines, each written to a file of its own by one script.
  const cases = fc.array(fc.tuple(anyText, fc.array(anyText, { maxLength: 5 })), { minLength: 10, maxLength: 10 });
  let run = 0;
  fc.assert(
    fc.property(cases, (texts) => {
      const dir = join(cwd, String(run++));
      const script = new ShellScript().add(
        ...texts.flatMap(([text, lines], i) => [
          atomicWrite(join(dir, `t${i}`), printText(text)),
          atomicWrite(join(dir, `l${i}`), printLines(lines)),
        ]),
      );
      expect(scriptYamlProblems(script)).toEqual([]);
      for (const shell of SHELLS) {
        const [result] = runAll([{ command: script.toCommand(), shell, cwd }]);
        expect(result).toEqual({ status: 0, stdout: '', stderr: '' });
        texts.forEach(([text, lines], i) => {
          expect(readFileSync(join(dir, `t${i}`), 'utf8')).toBe(text);
          expect(readFileSync(join(dir, `l${i}`), 'utf8')).toBe(lines.map((line) => `${line}\n`).join(''));
        });
      }
    }),
    { numRuns: 3 },
  );
});

test('the characters the YAML cannot carry are printed through octal escapes in a format the library writes', () => {
  expect(printText('a\u0085b').source).toBe("printf '%s\\302\\205%s' 'a' 'b'");
  expect(printText('\u2028').source).toBe("printf '\\342\\200\\250' ");
  expect(printText('%s\u007f').source).toBe("printf '%s\\177' '%s'");
  expect(printLines(['x', '\uffff']).source).toBe("printf '%s\\357\\277\\277%s' 'x\n' '\n'");
  expect(shellQuote("it's\u2029")).toBe(`'it'\\''s'"$(printf '\\342\\200\\251')"`);
});

test('shellQuote rejects a lone surrogate, which has no UTF-8 form', () => {
  expect(() => shellQuote('a\ud800b')).toThrow(/lone surrogate/);
  expect(() => printText('\udfff')).toThrow(/lone surrogate/);
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
