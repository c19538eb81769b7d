/** Strings that break naive shell scripts: each must come out of a script byte for byte. */
export const HOSTILE_STRINGS: readonly string[] = [
  "it's",
  '"double" quotes',
  '$(touch PWNED)',
  '`touch PWNED`',
  '${HOME} $HOME $$ $0',
  'line one\nline two',
  'trailing newline\n',
  '%s %d %n %%',
  'back\\slash \\n \\t \\\\',
  "'; touch PWNED; echo '",
  '"; touch PWNED; echo "',
  '-n',
  '-e \\c',
  '  leading and trailing spaces  ',
  'glob * ? [a-z]',
  'semi; pipe | amp & redirect > PWNED',
  'unicode: héllo wörld ✓ 日本語 🚀',
  '\t tab and \r carriage return',
  '',
];

/**
 * The code points at the edges, for drawing text from the whole Unicode range: C0, DEL and
 * C1, the separators U+2028/9, the noncharacters, the ends of every plane.
 */
export const EDGE_CODE_POINTS: readonly number[] = [
  ...Array.from({ length: 0x1f }, (_, i) => i + 1),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0xa0,
  0xad,
  0x2028,
  0x2029,
  0xd7ff,
  0xe000,
  0xfdd0,
  0xfeff,
  0xfffd,
  0xfffe,
  0xffff,
  ...Array.from({ length: 16 }, (_, i) => (i + 1) * 0x10000).flatMap((p) => [p, p + 1, p + 0xfffd, p + 0xfffe, p + 0xffff]),
];
