/**
 * Leaflet's `map.latLngToLayerPoint` for the default CRS (EPSG:3857, spherical Mercator), without
 * the two LatLng and three Point objects Leaflet allocates per call: the units layer projects every
 * unit in view on every frame (10,000 at a time in issue 17's bench:map). The arithmetic is
 * Leaflet 1.9's own, in the same order (SphericalMercator.project, the EPSG3857 transformation,
 * CRS.scale, Point._round, minus the pixel origin), so the points are the same to the pixel;
 * mercator.test.ts holds it to values Leaflet gives.
 */

/** L.Projection.SphericalMercator.R and .MAX_LATITUDE */
const R = 6378137;
const MAX_LATITUDE = 85.0511287798;
const D = Math.PI / 180;
/** the EPSG3857 transformation's scale: (scale, 0.5, -scale, 0.5) */
const T = 0.5 / (Math.PI * R);

export interface LayerProjector {
  /** layer x (pixels from the map's pixel origin) of a longitude */
  x(lng: number): number;
  /** layer y of a latitude */
  y(lat: number): number;
}

/** The projector for one zoom and pixel origin (`map.getZoom()`, `map.getPixelOrigin()`). */
export function layerProjector(zoom: number, pixelOrigin: { x: number; y: number }): LayerProjector {
  const scale = 256 * 2 ** zoom;
  return {
    x: (lng) => Math.round(scale * (T * (R * lng * D) + 0.5)) - pixelOrigin.x,
    y: (lat) => {
      const sin = Math.sin(Math.max(Math.min(MAX_LATITUDE, lat), -MAX_LATITUDE) * D);
      return Math.round(scale * (-T * ((R * Math.log((1 + sin) / (1 - sin))) / 2) + 0.5)) - pixelOrigin.y;
    },
  };
}
