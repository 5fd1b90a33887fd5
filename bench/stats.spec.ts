import { describe, expect, it } from '@jest/globals';
import { percentile, repeated, summarise } from './stats.js';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarises unsorted samples', () => {
    expect(summarise([5, 1, 3, 2, 4])).toEqual({ count: 5, p50: 3, p99: 5, mean: 3 });
  });

  it('reports the median and spread of repeated runs', () => {
    expect(repeated([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: [30, 10, 20] });
    expect(repeated([4, 1, 3, 2]).median).toBe(2.5);
  });
});
