import { PropContext } from './errors';
import { hasYamlUnsafeCharacter, splitYamlUnsafeRuns, unicodeProblem } from './manifest-text';
import { checkWrittenFilePath } from './prop-checks';

/**
 * POSIX `sh` script building with quoting by construction.
 *
 * Every script this library emits (hooks, init containers, sidecars) is built here,
 * so user text only ever reaches a shell as a single-quoted word: `'...'` with each
 * `'` written as `'\''`. Inside single quotes POSIX sh expands nothing (`$`, backticks,
 * `\`, `%` and newlines are literal), so any string is passed through byte for byte.
 */

/**
 * A piece of shell code that is already safe to splice into a script:
 * written by this library, or built from quoted user values with {@link sh}.
 */
export class ShellCode {
  /**
   * Wraps trusted shell source. Never pass user input here: use {@link sh} or
   * {@link shellQuote}.
   */
  public static trusted(source: string): ShellCode {
    return new ShellCode(source);
  }

  /** The pieces one after another, one per line. */
  public static lines(pieces: readonly ShellCode[]): ShellCode {
    return new ShellCode(pieces.map((piece) => piece.source).join('\n'));
  }

  private constructor(
    /** The shell source text. */
    public readonly source: string,
  ) {}

  /** The shell source text. */
  public toString(): string {
    return this.source;
  }
}

/** A value interpolated into {@link sh}: quoted as one word, or as one word per element. */
export type ShellArg = string | number | ShellCode | readonly (string | number)[];

/**
 * Quotes `word` so that POSIX sh reads it back as exactly that one word.
 *
 * The script never holds a character that the YAML of `cdk8s synth` cannot carry to
 * kubectl (U+007F-U+009F, U+2028, U+2029, U+FFFE, U+FFFF): such characters are produced
 * when the script runs, by `"$(printf '\ooo...')"` (the octal escapes of their UTF-8
 * bytes, in a format this function writes) spliced into the word.
 *
 * @throws if `word` holds a NUL byte, which no shell word or file content can carry
 *   through `sh -c`, or a lone surrogate, which has no UTF-8 form.
 */
export function shellQuote(word: string): string {
  const problem = unicodeProblem(word);
  if (problem) {
    throw new Error(
      `cannot pass ${problem.code === 'NUL_BYTE' ? 'a NUL byte' : 'a lone surrogate'} to a shell script: ${JSON.stringify(word)}`,
    );
  }
  if (!hasYamlUnsafeCharacter(word)) return singleQuoted(word);
  return splitYamlUnsafeRuns(word)
    .map((run, i) => (i % 2 === 1 ? `"$(printf '${octalEscapes(run)}')"` : run === '' ? '' : singleQuoted(run)))
    .join('');
}

function singleQuoted(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const utf8 = new TextEncoder();

// `\ooo` for each UTF-8 byte of `text`: printf's format escapes, three digits each, so the
// character after one is never read as part of it.
function octalEscapes(text: string): string {
  return Array.from(utf8.encode(text), (byte) => `\\${byte.toString(8).padStart(3, '0')}`).join('');
}

function renderArg(value: ShellArg): string {
  if (value instanceof ShellCode) return value.source;
  if (Array.isArray(value)) return value.map((v) => shellQuote(String(v))).join(' ');
  return shellQuote(String(value));
}

/**
 * Template tag for shell code: the literal parts are trusted, every `${value}` is quoted
 * (arrays become one quoted word each; {@link ShellCode} is spliced as is).
 *
 * @example sh`mkdir -p ${dir} && cd ${dir}`
 */
export function sh(literals: TemplateStringsArray, ...values: ShellArg[]): ShellCode {
  // join, not +=: it yields one flat string instead of a rope of pieces that every
  // retained script would keep alive.
  const parts: string[] = [literals[0]];
  values.forEach((value, i) => parts.push(renderArg(value), literals[i + 1]));
  return ShellCode.trusted(parts.join(''));
}

/**
 * Shell code that prints each line followed by `\n`, literally (no escapes, no
 * format directives, no expansion).
 */
export function printLines(lines: readonly string[]): ShellCode {
  if (lines.length === 0) return ShellCode.trusted(':');
  if (lines.some(hasYamlUnsafeCharacter)) return printText(lines.map((line) => `${line}\n`).join(''));
  return sh`printf '%s\\n' ${lines}`;
}

/**
 * Shell code that prints `text` literally, with nothing appended.
 *
 * User text is never a format: it is passed as `%s` arguments. The characters that the YAML
 * of `cdk8s synth` cannot carry (see {@link shellQuote}) are written into the format this
 * function builds, as octal escapes of their UTF-8 bytes, so the manifest holds only
 * characters kubectl reads back as they are and the file gets every byte.
 */
export function printText(text: string): ShellCode {
  if (!hasYamlUnsafeCharacter(text)) return sh`printf '%s' ${text}`;
  const runs = splitYamlUnsafeRuns(text);
  const format = runs.map((run, i) => (i % 2 === 1 ? octalEscapes(run) : run === '' ? '' : '%s')).join('');
  const args = runs.filter((run, i) => i % 2 === 0 && run !== '');
  return sh`printf ${ShellCode.trusted(`'${format}'`)} ${args}`;
}

/**
 * Shell code that writes the output of `producer` to `path` atomically: it writes a
 * temporary file in the same directory, then renames it over `path`, so a reader
 * sees either the old file or the whole new one, never a partial file.
 *
 * The temporary name is `<dir>/.<name>.tmp.<pid>`, a hidden name that readers polling
 * the directory for complete files skip.
 *
 * @param path the file: absolute and normalized, not `/`, its name at most 242 bytes so
 *   the temporary name fits NAME_MAX (a `PropError` otherwise)
 */
export function atomicWrite(path: string, producer: ShellCode): ShellCode {
  return atomicWriteChecked(checkWrittenFilePath(PropContext.named('atomicWrite'), 'path', path), producer);
}

/**
 * {@link atomicWrite} of a path its caller checked already (`checkWrittenFilePath`).
 * @internal
 */
export function atomicWriteChecked(path: string, producer: ShellCode): ShellCode {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash) || '/';
  const tmpPrefix = `${dir === '/' ? '' : dir}/.${path.slice(slash + 1)}.tmp.`;
  return sh`mkdir -p ${dir}
${writeThroughTemp(sh`${tmpPrefix}$$`, sh`${path}`, producer)}`;
}

/**
 * Like {@link atomicWrite}, into an existing directory (a volume's mount path, say), for
 * a file name known only when the script runs: `fileName` is shell code (for example
 * `"$file"`) that must expand to one name without `/`. The temporary file is
 * `<dir>/.<name>.tmp.<pid>`, hidden like atomicWrite's.
 */
export function atomicWriteInto(dir: string, fileName: ShellCode, producer: ShellCode): ShellCode {
  const prefix = dir === '/' ? '' : dir;
  return writeThroughTemp(sh`${`${prefix}/.`}${fileName}${'.tmp.'}$$`, sh`${`${prefix}/`}${fileName}`, producer);
}

// The write-then-rename both atomic writers share; `tmp` and `target` are shell words.
function writeThroughTemp(tmp: ShellCode, target: ShellCode, producer: ShellCode): ShellCode {
  return sh`tmp=${tmp}
{
${producer}
} > "$tmp"
mv -f "$tmp" ${target}`;
}

/** Properties of a {@link ShellScript}. */
export interface ShellScriptProps {
  /**
   * The interpreter that runs the script, as an absolute path.
   * @default '/bin/sh'
   */
  readonly shell?: string;
}

/**
 * A POSIX sh script, run as `[shell, '-c', script]` (the form Kubernetes exec hooks and
 * container commands take). Scripts start with `set -eu` so a failing step fails the
 * hook instead of being skipped silently.
 */
export class ShellScript {
  /** The interpreter that runs the script. */
  public readonly shell: string;
  // The source itself, not a list of steps: the text a container's command holds is this
  // same string, so a script is kept in memory once, however often it is rendered.
  private source = 'set -eu\n';

  /** An empty script (`set -eu` only) for the given shell; add steps with {@link add}. */
  public constructor(props: ShellScriptProps = {}) {
    this.shell = props.shell ?? '/bin/sh';
  }

  /** Appends steps to the script. Returns the script, for chaining. */
  public add(...steps: ShellCode[]): this {
    this.source = [this.source, ...steps.map((step) => `${step.source}\n`)].join('');
    return this;
  }

  /** The script's source text. */
  public render(): string {
    return this.source;
  }

  /** The exec form: `[shell, '-c', script]`. */
  public toCommand(): string[] {
    return [this.shell, '-c', this.source];
  }
}
