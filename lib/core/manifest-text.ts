import { Yaml } from 'cdk8s';

// Which user text the YAML of `cdk8s synth` carries to kubectl unchanged. The writer is the
// `yaml` npm package (cdk8s Yaml.stringify: YAML 1.1, lineWidth 0); kubectl decodes with
// sigs.k8s.io/yaml over go-yaml, whose reader (readerc.go) accepts only #x9, #xA, #xD,
// #x20-#x7E, #x85, #xA0-#xD7FF, #xE000-#xFFFD and #x10000-#x10FFFF, and whose scanner
// (yamlprivateh.go is_break) reads #x85 (NEL), #x2028 (LS) and #x2029 (PS) as line breaks.
// The writer escapes the C0 controls (it switches to a double-quoted scalar) but writes
// U+007F-U+009F, U+2028, U+2029, U+FFFE and U+FFFF raw, so kubectl rejects the file
// ("control characters are not allowed", "could not find expected ':'") or folds the
// character into a space (U+0085 inside a double-quoted scalar, U+2028 at the end).

/**
 * Whether go-yaml's reader (readerc.go) accepts code point `cp` in a YAML file: #x9, #xA,
 * #xD, #x20-#x7E, #x85, #xA0-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF. Anything else fails
 * the whole file with "control characters are not allowed".
 * @internal
 */
export function goYamlAccepts(cp: number): boolean {
  return (
    cp === 0x09 ||
    cp === 0x0a ||
    cp === 0x0d ||
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/**
 * The code points go-yaml's scanner reads as line breaks besides LF and CR (yamlprivateh.go
 * `is_break`): NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR.
 * @internal
 */
export const GO_YAML_EXTRA_LINE_BREAKS: ReadonlySet<number> = new Set([0x85, 0x2028, 0x2029]);

/**
 * The characters of user text that the YAML of `cdk8s synth` cannot carry to kubectl:
 * DEL and the C1 controls (U+007F-U+009F, NEL U+0085 included), the line and paragraph
 * separators U+2028 and U+2029, and the noncharacters U+FFFE and U+FFFF. Scripts print them
 * through `printf` octal escapes instead; fields that are no script reject them.
 * @internal
 */
export const YAML_UNSAFE_CHARACTERS = /[\u007f-\u009f\u2028\u2029\ufffe\uffff]+/gu;

// A lone surrogate: a UTF-16 unit that is not half of a pair (no UTF-8 form, written as U+FFFD).
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether `text` holds a lone surrogate (a UTF-16 half that has no UTF-8 form).
 * @internal
 */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * Whether `text` holds a character of {@link YAML_UNSAFE_CHARACTERS}.
 * @internal
 */
export function hasYamlUnsafeCharacter(text: string): boolean {
  YAML_UNSAFE_CHARACTERS.lastIndex = 0;
  return YAML_UNSAFE_CHARACTERS.test(text);
}

/**
 * `text` as runs: even indexes are runs of characters the YAML carries (possibly empty), odd
 * indexes runs of {@link YAML_UNSAFE_CHARACTERS}.
 * @internal
 */
export function splitYamlUnsafeRuns(text: string): string[] {
  return text.split(/([\u007f-\u009f\u2028\u2029\ufffe\uffff]+)/u);
}

/** What is wrong with a text, as a prop error's code and rule. */
export interface TextProblem {
  /** `NUL_BYTE`, `UNICODE` or `YAML_TEXT`. */
  readonly code: 'NUL_BYTE' | 'UNICODE' | 'YAML_TEXT';
  /** The rule, as a phrase after the value. */
  readonly rule: string;
}

function codePointName(text: string, at: number): string {
  return `U+${text.codePointAt(at)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The problem of text that no process can receive: a NUL byte, or a lone surrogate (a
 * UTF-16 half that has no UTF-8 form: the manifest would hold U+FFFD instead).
 * @internal
 */
export function unicodeProblem(text: string): TextProblem | undefined {
  if (text.includes('\0')) return { code: 'NUL_BYTE', rule: 'holds a NUL byte, which cannot be passed to a process' };
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate) {
    return {
      code: 'UNICODE',
      rule: `holds a lone surrogate (${codePointName(text, surrogate.index)} at index ${surrogate.index}), which is no Unicode character: it has no UTF-8 form`,
    };
  }
  return undefined;
}

/**
 * The problem of text that the manifest holds as it is (an exec word, an environment
 * value, a path), so it must reach kubectl unchanged: {@link unicodeProblem}, a
 * character of {@link YAML_UNSAFE_CHARACTERS}, a word the writer leaves unquoted that
 * go-yaml reads as a number (`0o17`, `0X1F`, `1e1_0`), or a multi-line word whose block
 * form go-yaml misreads (its first line starts with a tab, or it holds only blanks).
 * @internal
 */
export function manifestTextProblem(text: string): TextProblem | undefined {
  const unicode = unicodeProblem(text);
  if (unicode) return unicode;
  YAML_UNSAFE_CHARACTERS.lastIndex = 0;
  const unsafe = YAML_UNSAFE_CHARACTERS.exec(text);
  if (unsafe) {
    return {
      code: 'YAML_TEXT',
      rule: `holds ${codePointName(text, unsafe.index)} (at index ${unsafe.index}), which the YAML of cdk8s synth writes raw and kubectl's YAML decoder rejects or reads as a line break (U+007F-U+009F, U+2028, U+2029, U+FFFE, U+FFFF)`,
    };
  }
  if (/^[-+.0-9]/.test(text) && readsAsNumber(text) && isWrittenPlain(text)) {
    return {
      code: 'YAML_TEXT',
      rule: "is written unquoted by the YAML of cdk8s synth (YAML 1.1), and kubectl's YAML decoder (go-yaml) reads it as a number, not a string",
    };
  }
  if (text.includes('\n') && hasBlockQuirk(text)) {
    return {
      code: 'YAML_TEXT',
      rule: "is written as a YAML block whose first line starts with a tab, or that holds only blanks, which kubectl's YAML decoder rejects or reads differently",
    };
  }
  return undefined;
}

// go-yaml's resolve() for a plain scalar starting with a digit, sign or '.': an integer in
// Go's syntax (0x, 0o, 0b prefixes, either case) once '_' are removed, or a YAML-style float.
function readsAsNumber(text: string): boolean {
  const plain = text.startsWith('.') ? text : text.replace(/_/g, '');
  return (
    /^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.test(plain) ||
    /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(plain)
  );
}

// Whether the writer of cdk8s synth leaves the word unquoted (as an element of a sequence).
function isWrittenPlain(text: string): boolean {
  const yaml = Yaml.stringify([text]);
  return !/^- ["'|>]/.test(yaml);
}

// A block scalar (`|`) whose lines, before the first one with text, start with a tab, or
// that holds only spaces and tabs: go-yaml takes the tab for indentation ("found a tab
// character where an indentation space is expected") or a blank line for the indentation.
function hasBlockQuirk(text: string): boolean {
  if (!/^- [|]/.test(Yaml.stringify([text]))) return false;
  const lines = text.split('\n');
  if (lines.every((line) => /^[ \t]*$/.test(line))) return lines.some((line) => line !== '');
  const first = lines.find((line) => line !== '');
  return first !== undefined && first.startsWith('\t');
}
