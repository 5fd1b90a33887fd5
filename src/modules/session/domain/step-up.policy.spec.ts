import { describe, expect, it } from '@jest/globals';
import { isRecentProof } from './step-up.policy.js';

const TEN_MINUTES = 10 * 60_000;
const at = new Date('2026-03-01T12:00:00Z');
const later = (ms: number) => new Date(at.getTime() + ms);

describe('isRecentProof', () => {
  it('accepts a proof up to and including the maximum age', () => {
    expect(isRecentProof(at, at, TEN_MINUTES)).toBe(true);
    expect(isRecentProof(at, later(TEN_MINUTES), TEN_MINUTES)).toBe(true);
  });

  it('refuses a proof a moment older than the maximum age', () => {
    expect(isRecentProof(at, later(TEN_MINUTES + 1), TEN_MINUTES)).toBe(false);
  });

  it('accepts a proof dated a little ahead of this instance’s clock', () => {
    expect(isRecentProof(later(2_000), at, TEN_MINUTES)).toBe(true);
  });
});
