import { describe, expect, it } from 'vitest';
import { filterOf, snapQuery } from './filters.ts';

const MARCH = { from: '2026-03-02', to: '2026-03-29' };

describe('filterOf', () => {
  it('names the one filter as dimension and value, numbers spelt as the atoms spell them', () => {
    expect(filterOf(MARCH)).toBeNull();
    expect(filterOf({ ...MARCH, team: 'Team A' })).toEqual({ dim: 'team', value: 'Team A' });
    expect(filterOf({ ...MARCH, context: 'unreported' })).toEqual({ dim: 'context', value: 'unreported' });
    expect(filterOf({ ...MARCH, weekday: 1 })).toEqual({ dim: 'weekday', value: '1' });
    expect(filterOf({ ...MARCH, hour: 0 })).toEqual({ dim: 'hour', value: '0' });
  });
});

describe('snapQuery', () => {
  it('widens the period to whole ISO months and keeps the filter', () => {
    expect(snapQuery({ from: '2026-03-02', to: '2026-03-03', hour: 22 })).toEqual({ ...MARCH, hour: 22 });
  });
});
