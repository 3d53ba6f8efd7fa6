import { buildProtection } from '@lagebild/stats';
import { describe, expect, it } from 'vitest';
import { type CellRow, shownCells } from './heatmap.ts';

describe('shownCells', () => {
  const rows: CellRow[] = [
    { key: '10:20', row: 10, col: 20, n: 12 },
    { key: '10:21', row: 10, col: 21, n: 6 },
    { key: '11:20', row: 11, col: 20, n: 1 },
    { key: 'none', row: null, col: null, n: 3 },
  ];
  const prot = buildProtection(rows.map((r) => ({ week: '2026-03-02', value: r.key, n: r.n })));

  it('hides a small cell and its complement, and counts what it hid when the total may be shown', () => {
    expect(shownCells(rows, prot, ['2026-03'])).toEqual({
      cells: [{ row: 10, col: 20, episodes: 12 }],
      suppressedCells: 2,
      suppressedEpisodes: 7,
    });
  });
});
