import { describe, expect, it } from 'vitest';
import { formatAccuracy, formatAge, formatClock, formatSpeed } from './format.ts';
import { type MessageKey, type MessageParams, translate } from './i18n.ts';

const de = (key: MessageKey, params?: MessageParams) => translate('de', key, params);
const en = (key: MessageKey, params?: MessageParams) => translate('en', key, params);

describe('formatAge()', () => {
  it('says "just now" for the first two seconds', () => {
    expect(formatAge(1500, de)).toBe('gerade eben');
    expect(formatAge(-300, de)).toBe('gerade eben');
  });
  it('counts seconds, minutes and hours', () => {
    expect(formatAge(12_400, de)).toBe('vor 12 s');
    expect(formatAge(12_400, en)).toBe('12 s ago');
    expect(formatAge(185_000, de)).toBe('vor 3 min');
    expect(formatAge(2 * 3_600_000 + 5, de)).toBe('vor 2 h');
    expect(formatAge(72 * 3_600_000, en)).toBe('3 d ago');
  });
});

describe('measurements', () => {
  it('formats speed in km/h and accuracy in metres', () => {
    expect(formatSpeed(1.5, 'de')).toBe('5 km/h');
    expect(formatSpeed(null, 'de')).toBeNull();
    expect(formatAccuracy(7.6, 'en')).toBe('± 8 m');
  });
  it('formats wall-clock time with 24 hours', () => {
    const at = new Date(2025, 0, 1, 14, 3, 7).getTime();
    expect(formatClock(at, 'de')).toBe('14:03:07');
    expect(formatClock(at, 'en')).toBe('14:03:07');
  });
});
