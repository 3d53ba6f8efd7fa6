import { describe, expect, it } from 'vitest';
import { addCounts, type Counts, deescalationRate, ZERO_COUNTS } from './episode-counts.ts';

const week = (episodes: number, display: number, deescalated: number): Counts => ({
  ...ZERO_COUNTS,
  episodes,
  display,
  deescalated,
  d2r_median: 30,
  d2r_p90: 60,
});

describe('addCounts', () => {
  it('adds the counts of several weeks, skips weeks without episodes, and drops the percentiles', () => {
    const sum = addCounts([week(3, 2, 1), undefined, week(4, 4, 3)]);
    expect(sum).toEqual({ ...ZERO_COUNTS, episodes: 7, display: 6, deescalated: 4 });
  });
});

describe('deescalationRate', () => {
  it('is shown only for a cell that may be shown with at least five display episodes', () => {
    expect(deescalationRate(week(9, 5, 4), true)).toBe(0.8);
    expect(deescalationRate(week(9, 4, 4), true)).toBeNull();
    expect(deescalationRate(week(9, 5, 4), false)).toBeNull();
  });
});
