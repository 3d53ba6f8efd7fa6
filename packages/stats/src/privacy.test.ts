import { describe, expect, it } from 'vitest';
import { GRID_LAT_DEG, GRID_LNG_DEG, gridCell } from './privacy.ts';

describe('gridCell', () => {
  it('coarsens a position to the integer indices of its cell (about 550 m a side)', () => {
    expect(gridCell(51.43, 6.76)).toEqual({ row: 10286, col: 845 });
    const corner = gridCell(10286 * GRID_LAT_DEG, 845 * GRID_LNG_DEG);
    expect(corner).toEqual({ row: 10286, col: 845 });
  });

  it('floors negative coordinates too, so cells do not double in size at the equator or meridian', () => {
    expect(gridCell(-0.001, -0.001)).toEqual({ row: -1, col: -1 });
  });

  it('has no cell without a position', () => {
    expect(gridCell(null, null)).toBeNull();
    expect(gridCell(51.43, null)).toBeNull();
  });
});
