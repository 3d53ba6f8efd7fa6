import { describe, expect, it } from 'vitest';
import { layerProjector } from './mercator.ts';

/** [lat, lng, zoom, x, y]: L.CRS.EPSG3857.latLngToPoint(L.latLng(lat, lng), zoom).round() from Leaflet 1.9.4 */
const LEAFLET: ReadonlyArray<[number, number, number, number, number]> = [
  [51.4344, 6.7623, 13, 1087969, 698039],
  [51.5136, 7.4653, 12, 546032, 348649],
  [51.43017, 6.76543, 16, 8703900, 5584630],
  [0, 0, 5, 4096, 4096],
  [-33.9, 151.2, 10, 241172, 157338],
  [89, -179.9, 3, 1, 0],
  [51.4344, 6.7623, 19, 69630032, 44674512],
];

describe('layerProjector()', () => {
  it('projects as Leaflet does, to the pixel', () => {
    for (const [lat, lng, zoom, x, y] of LEAFLET) {
      const p = layerProjector(zoom, { x: 0, y: 0 });
      expect([p.x(lng), p.y(lat)]).toEqual([x, y]);
    }
  });

  it('counts from the pixel origin', () => {
    const p = layerProjector(13, { x: 1087000, y: 698000 });
    expect([p.x(6.7623), p.y(51.4344)]).toEqual([969, 39]);
  });
});
