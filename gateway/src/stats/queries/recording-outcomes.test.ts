import { HIDDEN_RETENTION } from '@lagebild/stats';
import { describe, expect, it } from 'vitest';
import { groupsByKey, shownRetention } from './recording-outcomes.ts';

describe('groupsByKey', () => {
  it('collects the state groups of each week', () => {
    const groups = groupsByKey([
      { k: '2026-03-02', state: 'deleted', retention: 'standard', early: true, n: 1 },
      { k: '2026-03-09', state: 'complete', retention: 'evidence', early: false, n: 4 },
      { k: '2026-03-02', state: 'complete', retention: 'standard', early: false, n: 5 },
    ]);
    expect([...groups.keys()]).toEqual(['2026-03-02', '2026-03-09']);
    expect(groups.get('2026-03-02')).toEqual([
      { state: 'deleted', retention: 'standard', earlyDeletion: true, n: 1 },
      { state: 'complete', retention: 'standard', earlyDeletion: false, n: 5 },
    ]);
  });
});

describe('shownRetention', () => {
  const groups = [{ state: 'complete', retention: 'evidence', earlyDeletion: false, n: 6 }] as const;

  it('shows the figures without a suppression reason and hides every one with a reason', () => {
    expect(shownRetention(groups, null)).toMatchObject({ total: 6, kept: 6 });
    expect(shownRetention(groups, 'protects_small_cell')).toEqual(HIDDEN_RETENTION);
  });
});
