/**
 * The GNSS receiver's view of the true position: each fix has a 68 % accuracy radius of 3–15 m
 * (device-specific baseline, varying fix to fix), occasionally much worse between tall buildings
 * or under roofs, and a position error drawn to match that radius.
 */
import type { Position } from '@lagebild/protocol';
import { type LatLng, offsetM } from './geo.ts';
import { gaussian, type Rng, uniform } from './prng.ts';

export interface GnssState {
  /** typical accuracy of this receiver in open sky */
  baseAccuracyM: number;
}

export function createGnss(rng: Rng): GnssState {
  return { baseAccuracyM: uniform(rng, 4, 8) };
}

/** For a 2-D normal error with σ per axis, 68 % of fixes fall within ≈1.51 σ. */
const RADIUS68_PER_SIGMA = 1.51;

const scratch: LatLng = { lat: 0, lng: 0 };

export function sampleFix(g: GnssState, truth: LatLng, rng: Rng): Position {
  const r = rng();
  let accuracyM: number;
  if (r < 0.005)
    accuracyM = uniform(rng, 60, 150); // under a roof, in a passage
  else if (r < 0.03)
    accuracyM = uniform(rng, 20, 50); // urban canyon
  else accuracyM = Math.max(3, Math.min(15, g.baseAccuracyM * Math.exp(0.35 * gaussian(rng))));
  const sigma = accuracyM / RADIUS68_PER_SIGMA;
  offsetM(truth, gaussian(rng) * sigma, gaussian(rng) * sigma, scratch);
  return {
    lat: Math.round(scratch.lat * 1e6) / 1e6,
    lng: Math.round(scratch.lng * 1e6) / 1e6,
    accuracyM: Math.round(accuracyM * 10) / 10,
  };
}
