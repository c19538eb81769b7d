import { GO_YAML_EXTRA_LINE_BREAKS, goYamlAccepts } from '../core/manifest-text';

// What kubectl's YAML decoder (go-yaml, sigs.k8s.io/yaml) does with the characters of a
// manifest file. Its reader (readerc.go, yaml_parser_update_buffer) accepts only
//   #x9 | #xA | #xD | [#x20-#x7E] | #x85 | [#xA0-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
// and stops at anything else with "control characters are not allowed"; and it reads NEL
// (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029) as line breaks, which
// a JavaScript YAML library writes as they are and reads as ordinary characters.

/** One character of a manifest file that kubectl would refuse or read differently. */
export interface YamlTextProblem {
  /** 1-based line, as a YAML parser that breaks lines at LF only counts them. */
  readonly line: number;
  /** 1-based column, in characters (code points). */
  readonly column: number;
  /** 0-based index of the YAML document (documents separated by `---` lines). */
  readonly document: number;
  /** The code point, e.g. `U+007F`. */
  readonly codePoint: string;
  /** `rejected`: kubectl refuses the file; `line-break`: kubectl reads a line break, so the value changes. */
  readonly kind: 'rejected' | 'line-break';
  /** What kubectl does, in words. */
  readonly message: string;
}

// Every UTF-16 unit outside tab, LF, CR, printable ASCII and the plain ranges of the BMP:
// C0/C1 controls, DEL, U+2028/9, surrogates (pairs are checked and let through), U+FFFE/F.
const SUSPECT = /[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd]/g;

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The characters of a YAML text (a manifest file as `cdk8s synth` writes it) that kubectl's
 * YAML decoder refuses (C0 controls other than tab/LF/CR, DEL, C1 controls other than NEL,
 * U+FFFE, U+FFFF, lone surrogates) or reads as a line break (NEL, U+2028, U+2029). A JavaScript
 * YAML library writes all of these unescaped, so a value that holds one breaks only at
 * `kubectl apply`. Escapes (`"\x01"`) are not raw characters and are fine, except escapes of
 * surrogates, which go-yaml refuses too (the rule `lone-surrogate` of `checkObjects` finds those).
 */
export function findYamlTextProblems(text: string): YamlTextProblem[] {
  const problems: YamlTextProblem[] = [];
  // Line starts and document separators, found once, only when there is something to report.
  let lineStarts: number[] | undefined;
  let separators: number[] | undefined;
  for (const m of text.matchAll(SUSPECT)) {
    const at = m.index;
    const unit = text.charCodeAt(at);
    if (unit >= 0xd800 && unit <= 0xdbff && at + 1 < text.length) {
      const next = text.charCodeAt(at + 1);
      if (next >= 0xdc00 && next <= 0xdfff) continue; // a pair: U+10000 and up, allowed
    }
    if (unit >= 0xdc00 && unit <= 0xdfff && at > 0) {
      const before = text.charCodeAt(at - 1);
      if (before >= 0xd800 && before <= 0xdbff) continue; // the second half of a pair
    }
    const lone = unit >= 0xd800 && unit <= 0xdfff;
    if (!lone && goYamlAccepts(unit) && !GO_YAML_EXTRA_LINE_BREAKS.has(unit)) continue;
    if (!lineStarts || !separators) {
      lineStarts = [0];
      separators = [];
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
        lineStarts.push(i + 1);
        if (/^---[ \t]*(\r?\n|$)/.test(text.slice(i + 1, i + 7))) separators.push(i + 1);
      }
    }
    let line = lineStarts.length;
    while (lineStarts[line - 1] > at) line--;
    const column = [...text.slice(lineStarts[line - 1], at)].length + 1;
    const document = separators.filter((s) => s > 0 && s < at).length;
    const lineBreak = GO_YAML_EXTRA_LINE_BREAKS.has(unit);
    problems.push({
      line,
      column,
      document,
      codePoint: hex(unit),
      kind: lineBreak ? 'line-break' : 'rejected',
      message: lineBreak
        ? `${hex(unit)} is a line break to kubectl's YAML decoder: the value it reads is not the one written`
        : lone
          ? `${hex(unit)} is a lone surrogate: UTF-8 cannot hold it, so the file carries U+FFFD instead (or is refused)`
          : `${hex(unit)} is a control character: kubectl's YAML decoder refuses the file ("control characters are not allowed")`,
    });
  }
  return problems;
}
