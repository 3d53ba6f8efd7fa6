/**
 * Distance and estimated time of arrival. The default estimator uses the straight line and a
 * speed per mode of travel; a road router can replace it behind the same interface.
 */
import type { LatLng, TravelMode } from '@lagebild/protocol';

export interface EtaEstimate {
  distanceM: number;
  etaS: number;
}

export interface EtaEstimator {
  estimate(from: LatLng, to: LatLng, mode: TravelMode): EtaEstimate;
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance (haversine), metres. */
export function distanceM(a: LatLng, b: LatLng): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Urban averages: brisk walking; a patrol car in city traffic (about 30 km/h). */
export const DEFAULT_SPEEDS_MPS: Readonly<Record<TravelMode, number>> = { foot: 1.4, vehicle: 8.3 };

export function straightLineEstimator(speeds: Record<TravelMode, number> = DEFAULT_SPEEDS_MPS): EtaEstimator {
  return {
    estimate(from, to, mode) {
      const d = distanceM(from, to);
      return { distanceM: d, etaS: d / speeds[mode] };
    },
  };
}

/** A unit moving faster than a runner is taken to be in a vehicle. */
export const travelModeOf = (speedMps: number | null): TravelMode =>
  (speedMps ?? 0) > 3 ? 'vehicle' : 'foot';
