/**
 * A quiet grid under the units. It is always there, below the tiles: with no tile server configured,
 * or tiles failing (offline control room), the map still shows scale and movement instead of a blank
 * area. Tiles, when they load, cover it.
 */
import * as L from 'leaflet';
import type { MapPalette } from './unit-glyphs';

export class GridLayer extends L.GridLayer {
  #palette: Pick<MapPalette, 'grid' | 'gridStrong'>;

  constructor(palette: Pick<MapPalette, 'grid' | 'gridStrong'>) {
    super({ tileSize: 256, pane: 'tilePane', zIndex: 0, updateWhenZooming: false });
    this.#palette = palette;
  }

  setPalette(palette: Pick<MapPalette, 'grid' | 'gridStrong'>): void {
    this.#palette = palette;
    this.redraw();
  }

  protected override createTile(): HTMLElement {
    const tile = document.createElement('canvas');
    const dpr = window.devicePixelRatio || 1;
    tile.width = 256 * dpr;
    tile.height = 256 * dpr;
    const ctx = tile.getContext('2d');
    if (!ctx) return tile;
    ctx.scale(dpr, dpr);
    ctx.strokeStyle = this.#palette.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 64; i < 256; i += 64) {
      ctx.moveTo(i + 0.5, 0);
      ctx.lineTo(i + 0.5, 256);
      ctx.moveTo(0, i + 0.5);
      ctx.lineTo(256, i + 0.5);
    }
    ctx.stroke();
    ctx.strokeStyle = this.#palette.gridStrong;
    ctx.beginPath();
    ctx.moveTo(0.5, 0);
    ctx.lineTo(0.5, 256);
    ctx.moveTo(0, 0.5);
    ctx.lineTo(256, 0.5);
    ctx.stroke();
    return tile;
  }
}
