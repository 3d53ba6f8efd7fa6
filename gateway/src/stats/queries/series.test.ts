import { describe, expect, it } from 'vitest';
import { seriesBins, weeksBetween } from './series.ts';

describe('weeksBetween', () => {
  it('lists the Mondays from the week of the first day to the week of the last', () => {
    expect(weeksBetween('2026-03-04', '2026-03-16')).toEqual(['2026-03-02', '2026-03-09', '2026-03-16']);
    expect(weeksBetween('2026-03-08', '2026-03-08')).toEqual(['2026-03-02']);
  });
});

describe('seriesBins', () => {
  const q = { from: '2026-02-02', to: '2026-03-29' };

  it('bins by week without a filter', () => {
    const bins = seriesBins({ q, months: ['2026-02', '2026-03'], filter: null });
    expect(bins).toHaveLength(8);
    expect(bins[0]).toEqual({ start: '2026-02-02', weeks: ['2026-02-02'], months: null });
  });

  it('bins by ISO month under a filter, as a filter’s value is protected per month block', () => {
    const bins = seriesBins({ q, months: ['2026-02', '2026-03'], filter: { dim: 'hour', value: '22' } });
    expect(bins.map((b) => [b.start, b.weeks.length, b.months])).toEqual([
      ['2026-02-02', 4, ['2026-02']],
      ['2026-03-02', 4, ['2026-03']],
    ]);
  });
});
