import { describe, expect, it } from 'vitest';
import { deletionCountdown, formatRemaining } from './countdown.ts';
import { translate } from './i18n.ts';

const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) =>
  translate('en', key, params);
const NOW = Date.UTC(2026, 2, 1, 12);
const HOUR = 3_600_000;

describe('deletionCountdown()', () => {
  it('counts down to delete_at and flags the last two days as urgent', () => {
    expect(deletionCountdown({ state: 'complete', deleteAt: NOW + 72 * HOUR, deletedAt: null }, NOW)).toEqual(
      {
        kind: 'in',
        ms: 72 * HOUR,
        at: NOW + 72 * HOUR,
        urgent: false,
      },
    );
    const soon = deletionCountdown({ state: 'complete', deleteAt: NOW + 5 * HOUR, deletedAt: null }, NOW);
    expect(soon.kind === 'in' && soon.urgent).toBe(true);
  });

  it('says "held" for evidence and legal hold (no delete_at) and "due" once it has passed', () => {
    expect(deletionCountdown({ state: 'complete', deleteAt: null, deletedAt: null }, NOW)).toEqual({
      kind: 'held',
    });
    expect(deletionCountdown({ state: 'complete', deleteAt: NOW - 1, deletedAt: null }, NOW)).toEqual({
      kind: 'due',
    });
  });

  it('reports a deleted recording with its deletion time', () => {
    expect(deletionCountdown({ state: 'deleted', deleteAt: null, deletedAt: NOW - HOUR }, NOW)).toEqual({
      kind: 'deleted',
      at: NOW - HOUR,
    });
  });
});

describe('formatRemaining()', () => {
  it('uses days and hours, then hours and minutes, then minutes', () => {
    expect(formatRemaining(13 * 24 * HOUR + 5 * HOUR + 59_000, t)).toBe('13 d 5 h');
    expect(formatRemaining(3 * HOUR + 20 * 60_000, t)).toBe('3 h 20 min');
    expect(formatRemaining(59 * 60_000, t)).toBe('59 min');
    expect(formatRemaining(10_000, t)).toBe('1 min');
  });
});
