/**
 * What evaluators may see: counts per cell only when the cell holds at least MIN_CELL episodes
 * (smaller cells could single out an officer or a person), positions only as a coarse grid cell.
 */

export const MIN_CELL = 5;

/** Grid cell edge in degrees: 0.005° latitude ≈ 556 m; 0.008° longitude ≈ 550 m at 51° N. */
export const GRID_LAT_DEG = 0.005;
export const GRID_LNG_DEG = 0.008;

export interface GridCell {
  /** integer cell indices; the south-west corner is (row·GRID_LAT_DEG, col·GRID_LNG_DEG) */
  row: number;
  col: number;
}

/**
 * The grid cell of a position, the only form in which an episode's position is stored (the episode
 * builder writes `cell_row`/`cell_col` from it); null without a position.
 */
export function gridCell(lat: number | null, lng: number | null): GridCell | null {
  if (lat === null || lng === null) return null;
  return { row: Math.floor(lat / GRID_LAT_DEG), col: Math.floor(lng / GRID_LNG_DEG) };
}
