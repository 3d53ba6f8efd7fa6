import { describe, expect, it } from 'vitest';
import { formatDateText, parseDateText, shiftDays } from './date-input.ts';

describe('parseDateText()', () => {
  it('reads TT.MM.JJJJ in German and DD/MM/YYYY in English as an ISO day', () => {
    expect(parseDateText('02.03.2026', 'date', 'de')).toEqual({ ok: true, iso: '2026-03-02' });
    expect(parseDateText(' 2.3.2026 ', 'date', 'de')).toEqual({ ok: true, iso: '2026-03-02' });
    expect(parseDateText('02/03/2026', 'date', 'en')).toEqual({ ok: true, iso: '2026-03-02' });
  });

  it('refuses a day that does not exist, and knows leap years', () => {
    expect(parseDateText('31.02.2026', 'date', 'de')).toEqual({ ok: false, reason: 'day' });
    expect(parseDateText('29.02.2026', 'date', 'de')).toEqual({ ok: false, reason: 'day' });
    expect(parseDateText('29.02.2028', 'date', 'de')).toEqual({ ok: true, iso: '2028-02-29' });
    expect(parseDateText('29.02.2100', 'date', 'de')).toEqual({ ok: false, reason: 'day' });
    expect(parseDateText('31.04.2026', 'date', 'de')).toEqual({ ok: false, reason: 'day' });
    expect(parseDateText('00.01.2026', 'date', 'de')).toEqual({ ok: false, reason: 'day' });
    expect(parseDateText('15.13.2026', 'date', 'de')).toEqual({ ok: false, reason: 'day' });
    expect(parseDateText('31/02/2026', 'date', 'en')).toEqual({ ok: false, reason: 'day' });
  });

  it("accepts only the language's own pattern: no US order, no ISO, no two-digit year", () => {
    for (const text of [
      '02/03/2026',
      '2026-03-02',
      '02.03.26',
      '02.03.2026.',
      '02-03-2026',
      '0.2.03.2026',
      'heute',
    ])
      expect(parseDateText(text, 'date', 'de'), text).toEqual({ ok: false, reason: 'format' });
    expect(parseDateText('02.03.2026', 'date', 'en')).toEqual({ ok: false, reason: 'format' });
    expect(parseDateText('03/02/2026 10:00', 'date', 'en')).toEqual({ ok: false, reason: 'format' });
    expect(parseDateText('02.03.0999', 'date', 'de')).toEqual({ ok: false, reason: 'format' });
  });

  it('reads a date with a 24-hour time, also as Intl writes it (with a comma)', () => {
    expect(parseDateText('24.12.2026 18:30', 'dateTime', 'de')).toEqual({
      ok: true,
      iso: '2026-12-24T18:30',
    });
    expect(parseDateText('24.12.2026, 8:05', 'dateTime', 'de')).toEqual({
      ok: true,
      iso: '2026-12-24T08:05',
    });
    expect(parseDateText('24/12/2026 00:00', 'dateTime', 'en')).toEqual({
      ok: true,
      iso: '2026-12-24T00:00',
    });
    expect(parseDateText('24.12.2026 24:00', 'dateTime', 'de')).toEqual({ ok: false, reason: 'time' });
    expect(parseDateText('24.12.2026 12:60', 'dateTime', 'de')).toEqual({ ok: false, reason: 'time' });
    expect(parseDateText('31.02.2026 12:00', 'dateTime', 'de')).toEqual({ ok: false, reason: 'day' });
    expect(parseDateText('24.12.2026', 'dateTime', 'de')).toEqual({ ok: false, reason: 'format' });
    expect(parseDateText('24.12.2026 6 pm', 'dateTime', 'de')).toEqual({ ok: false, reason: 'format' });
  });

  it('calls blank empty, not wrong', () => {
    expect(parseDateText('   ', 'date', 'de')).toEqual({ ok: false, reason: 'empty' });
  });
});

describe('formatDateText()', () => {
  it('writes the ISO value the way the language reads it', () => {
    expect(formatDateText('2026-03-02', 'date', 'de')).toBe('02.03.2026');
    expect(formatDateText('2026-03-02', 'date', 'en')).toBe('02/03/2026');
    expect(formatDateText('2026-03-02T07:05', 'dateTime', 'de')).toBe('02.03.2026 07:05');
    expect(formatDateText('2026-03-02T07:05', 'dateTime', 'en')).toBe('02/03/2026 07:05');
    expect(formatDateText('', 'date', 'de')).toBe('');
    expect(formatDateText('garbage', 'dateTime', 'de')).toBe('');
  });

  it('round-trips through parseDateText()', () => {
    for (const lang of ['de', 'en'] as const) {
      for (const iso of ['2026-01-31', '2028-02-29', '1999-12-31'])
        expect(parseDateText(formatDateText(iso, 'date', lang), 'date', lang)).toEqual({ ok: true, iso });
      for (const iso of ['2026-01-31T00:00', '2026-10-25T02:30', '2026-06-01T23:59'])
        expect(parseDateText(formatDateText(iso, 'dateTime', lang), 'dateTime', lang)).toEqual({
          ok: true,
          iso,
        });
    }
  });
});

describe('shiftDays()', () => {
  it('steps over month and year ends and keeps the time of day', () => {
    expect(shiftDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(shiftDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(shiftDays('2027-01-01', -1)).toBe('2026-12-31');
    expect(shiftDays('2026-03-28T23:30', 1)).toBe('2026-03-29T23:30');
    expect(shiftDays('nonsense', 1)).toBe('nonsense');
  });
});
