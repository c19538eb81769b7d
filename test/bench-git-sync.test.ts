import { deflateSync } from 'node:zlib';
import { changedFile, formatSpread, seededBytes, spread } from '../bench/git-sync';

// The git-sync bench's repository must be the same every run (same commit ids, same bytes on
// the wire) and must not compress, or git would send less than the files' size.
describe('git-sync bench helpers', () => {
  test('seededBytes: the same seed gives the same bytes, another seed others, and they do not compress', () => {
    const a = seededBytes('file-000.bin version 1', 1 << 20);
    expect(a).toHaveLength(1 << 20);
    expect(seededBytes('file-000.bin version 1', 1 << 20).equals(a)).toBe(true);
    expect(seededBytes('file-000.bin version 2', 1 << 20).equals(a)).toBe(false);
    expect(deflateSync(a).length).toBeGreaterThan(a.length);
  });

  test('changedFile: each update rewrites the next file, round the files', () => {
    expect([1, 2, 3, 4].map((u) => changedFile(u, 3))).toEqual(['file-000.bin', 'file-001.bin', 'file-002.bin', 'file-000.bin']);
  });

  test('spread and formatSpread: median over runs, the range only when the runs differ', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 2, 3]).median).toBe(2.5);
    expect(formatSpread(spread([1.234, 1.31, 1.2]), 2)).toBe('1.23 (1.20–1.31)');
    expect(formatSpread(spread([4.001, 4.002]), 1)).toBe('4.0');
  });
});
