import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { normaliseEmail } from './user.js';

describe('normaliseEmail', () => {
  it('makes José’s two encodings, precomposed é and e + U+0301, one address', () => {
    const precomposed = 'jos\u00e9@example.com';
    const decomposed = 'jose\u0301@example.com';
    expect(precomposed).not.toBe(decomposed);
    expect(normaliseEmail(decomposed)).toBe(precomposed);
    expect(normaliseEmail(` JOSE\u0301@Example.COM `)).toBe(precomposed);
  });

  it('trims and lower-cases', () => {
    expect(normaliseEmail('  Mixed.Case@Example.COM ')).toBe('mixed.case@example.com');
  });

  it('keeps compatibility characters as typed (NFC, not NFKC): full-width letters and ligatures are other addresses', () => {
    expect(normaliseEmail('\uff4a\uff4f\uff53\uff45@example.com')).toBe('\uff4a\uff4f\uff53\uff45@example.com');
    expect(normaliseEmail('\ufb01nn@example.com')).toBe('\ufb01nn@example.com');
  });

  it('gives every canonically equivalent spelling the same result, and changes nothing it already normalised', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 12 }), (text) => {
        const normalised = normaliseEmail(text);
        expect(normaliseEmail(text.normalize('NFD'))).toBe(normalised);
        expect(normaliseEmail(normalised)).toBe(normalised);
      }),
      { numRuns: 2_000 },
    );
  });
});
