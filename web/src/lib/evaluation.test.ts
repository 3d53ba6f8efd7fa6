import { describe, expect, it } from 'vitest';
import { defaultFilter, filterFromQuery, filterToQuery, formatNumber, formatPercent } from './evaluation.ts';

const now = new Date('2026-11-24T12:00:00Z');

describe('evaluation filter', () => {
  it('defaults to the last 26 weeks', () => {
    expect(defaultFilter(now)).toEqual({ from: '2026-05-26', to: '2026-11-24' });
  });
  it('round-trips through the query string, one filter at a time', () => {
    const period = { from: '2026-07-01', to: '2026-10-15' };
    for (const f of [
      { ...period, team: 'KOD Mitte' },
      { ...period, context: 'large_event' as const },
      { ...period, weekday: 6 },
      { ...period, hour: 22 },
    ]) {
      expect(filterFromQuery(filterToQuery(f), now)).toEqual(f);
    }
  });
  it('falls back to the default period for combined filters, which the gateway refuses (issue 11)', () => {
    expect(filterFromQuery('from=2026-07-01&to=2026-10-15&team=KOD%20Mitte&hour=22', now)).toEqual(
      defaultFilter(now),
    );
  });
  it('falls back to the default period for an invalid filter and ignores unknown keys', () => {
    expect(filterFromQuery('from=2026-10-15&to=2026-07-01', now)).toEqual(defaultFilter(now));
    expect(filterFromQuery('team=&foo=1', now)).toEqual(defaultFilter(now));
  });
});

describe('formatting', () => {
  it('formats percentages and numbers per language, a dash for suppressed values', () => {
    expect(formatPercent(0.5714, 'de')).toBe('57,1\u00a0%');
    expect(formatPercent(0.5714, 'en')).toBe('57.1%');
    expect(formatNumber(1234.5, 'de', 1)).toBe('1.234,5');
    expect(formatNumber(null, 'en')).toBe('–');
  });
});
