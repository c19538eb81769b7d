import { Yaml } from 'cdk8s';
import { findYamlTextProblems } from '../../lib/testing';

describe('findYamlTextProblems', () => {
  test('finds what cdk8s writes raw and go-yaml refuses or reads as a line break', () => {
    const text = Yaml.stringify(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok' }, data: { a: 'tab\there', b: 'escaped \x01', c: 'emoji 🎉' } },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'bad' },
        data: { del: 'x\x7fy', nel: 'x\x85y', ls: 'x\u2028y', ff: 'x\ufffey' },
      },
    );
    expect(findYamlTextProblems(text).map((p) => [p.document, p.codePoint, p.kind])).toEqual([
      [1, 'U+007F', 'rejected'],
      [1, 'U+0085', 'line-break'],
      [1, 'U+2028', 'line-break'],
      [1, 'U+FFFE', 'rejected'],
    ]);
    const [del] = findYamlTextProblems(text);
    expect(text.split('\n')[del.line - 1].slice(0, del.column - 1)).toBe('  del: "x');
    expect(del.message).toBe(
      'U+007F is a control character: kubectl\'s YAML decoder refuses the file ("control characters are not allowed")',
    );
  });

  test("every code point below U+0100 and the special ones, against go-yaml's reader", () => {
    const allowed = (cp: number) => cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0x7e) || cp >= 0xa0;
    for (let cp = 0; cp < 0x100; cp++) {
      const found = findYamlTextProblems(`a: ${String.fromCodePoint(cp)}`).map((p) => p.kind);
      expect([cp, found]).toEqual([cp, cp === 0x85 ? ['line-break'] : allowed(cp) ? [] : ['rejected']]);
    }
    expect(findYamlTextProblems('a: \u2029 \ufeff \ufffd \uffff \ud800 \u{10ffff}').map((p) => p.codePoint)).toEqual([
      'U+2029',
      'U+FFFF',
      'U+D800',
    ]);
  });
});
