import { describe, expect, it } from 'vitest';
import { SourceMap } from './source-map.js';

describe('SourceMap', () => {
  // Generated line 0: column 0 → a.ts line 1, column 10 → b.ts line 5; line 1 empty; line 2: column 4 → b.ts line 6.
  const map = new SourceMap({ sources: ['a.ts', 'b.ts'], mappings: 'AAAA,UCIA;;IACA' });

  it('finds the source and line of a position', () => {
    expect(map.lookup(0, 0)).toEqual({ source: 'a.ts', line: 1 });
    expect(map.lookup(0, 9)).toEqual({ source: 'a.ts', line: 1 });
    expect(map.lookup(0, 10)).toEqual({ source: 'b.ts', line: 5 });
    expect(map.lookup(0, 500)).toEqual({ source: 'b.ts', line: 5 });
    expect(map.lookup(2, 4)).toEqual({ source: 'b.ts', line: 6 });
  });

  it('answers undefined where nothing maps', () => {
    expect(map.lookup(1, 0)).toBeUndefined();
    expect(map.lookup(2, 3)).toBeUndefined();
    expect(map.lookup(9, 0)).toBeUndefined();
  });

  it('refuses a mapping that is not base64 VLQ', () => {
    expect(() => new SourceMap({ sources: [], mappings: 'A!AA' })).toThrow(/VLQ/);
  });
});
