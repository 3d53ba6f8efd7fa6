/**
 * Small-distance geodesy for patrol movement: haversine distance, initial bearing, linear
 * interpolation and metric offsets. Inside a city (a few km) the errors of these approximations
 * are far below GNSS accuracy.
 */

export interface LatLng {
  lat: number;
  lng: number;
}

const EARTH_RADIUS_M = 6_371_000;
const DEG = Math.PI / 180;

export function distanceM(a: LatLng, b: LatLng): number {
  const dLat = (b.lat - a.lat) * DEG;
  const dLng = (b.lng - a.lng) * DEG;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * DEG) * Math.cos(b.lat * DEG) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Initial compass bearing from a to b in degrees, [0, 360). */
export function bearingDeg(a: LatLng, b: LatLng): number {
  const φ1 = a.lat * DEG;
  const φ2 = b.lat * DEG;
  const Δλ = (b.lng - a.lng) * DEG;
  const y = Math.sin(Δλ) * Math.cos(φ2);
  const x = Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(Δλ);
  return normalizeDeg(Math.atan2(y, x) / DEG);
}

export function normalizeDeg(deg: number): number {
  const d = deg % 360;
  return d < 0 ? d + 360 : d;
}

/** Point at fraction t (0..1) on the straight segment a→b; writes into `out` to avoid allocation. */
export function interpolate(a: LatLng, b: LatLng, t: number, out: LatLng): LatLng {
  out.lat = a.lat + (b.lat - a.lat) * t;
  out.lng = a.lng + (b.lng - a.lng) * t;
  return out;
}

/** Shift a point by metres north and east; writes into `out`. */
export function offsetM(p: LatLng, northM: number, eastM: number, out: LatLng): LatLng {
  out.lat = p.lat + northM / EARTH_RADIUS_M / DEG;
  out.lng = p.lng + eastM / (EARTH_RADIUS_M * Math.cos(p.lat * DEG)) / DEG;
  return out;
}
