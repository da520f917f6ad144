import { NICKNAME_CHARACTER, NICKNAME_UNICODE_VERSION } from '@moalog/api/nickname-characters';
import { describe, expect, it } from 'vitest';
import { alphanumericFragment, codePointRanges, fragmentFor } from './unicode-fragment.js';

describe('flagless character-set fragments', () => {
  it('match exactly the chosen code points, a surrogate pair as one character', () => {
    const chosen = (character: string) => /^[a-c\u00E9\u{1F600}-\u{1F602}\u{20000}-\u{20400}]$/u.test(character);
    const one = new RegExp(`^${fragmentFor(codePointRanges(chosen))}$`);
    for (const character of ['a', 'c', 'é', '😀', '😂', '𠀀', '\u{20400}']) expect(one.test(character), character).toBe(true);
    for (const character of ['d', 'e', '😃', '\u{20401}', '\uD83D', '\uDE00', 'ab']) expect(one.test(character), character).toBe(false);
    const upToThree = new RegExp(`^${fragmentFor(codePointRanges(chosen))}{1,3}$`);
    expect(upToThree.test('😀😁😂')).toBe(true);
    expect(upToThree.test('😀😁😂a')).toBe(false);
  });

  it('write ASCII letters and digits as themselves and everything else escaped', () => {
    const fragment = fragmentFor([
      [0x30, 0x39],
      [0x41, 0x5a],
      [0xac00, 0xd7a3],
    ]);
    expect(fragment).toBe('(?:[0-9A-Z\\uAC00-\\uD7A3])');
  });

  it('the generated nickname character agrees with the runtime: regenerate it after a Unicode upgrade', () => {
    const generated = new RegExp(`^${NICKNAME_CHARACTER}$`);
    const alphanumeric = /^[\p{Alphabetic}\p{N}]$/u;
    if (process.versions.unicode === NICKNAME_UNICODE_VERSION) {
      expect(NICKNAME_CHARACTER).toBe(alphanumericFragment());
    } else {
      // A newer Unicode only adds letters: the generated set stays inside the runtime's.
      for (const [first, last] of codePointRanges((character) => generated.test(character))) {
        expect(alphanumeric.test(String.fromCodePoint(first)) && alphanumeric.test(String.fromCodePoint(last))).toBe(true);
      }
    }
  });
});
