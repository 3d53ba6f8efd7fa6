import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEEDS_MPS, distanceM, straightLineEstimator, travelModeOf } from './eta.ts';

// Duisburg Hauptbahnhof → König-Heinrich-Platz, about 560 m (measured on the map)
const HBF = { lat: 51.4296, lng: 6.7756 };
const KHP = { lat: 51.4325, lng: 6.7687 };

describe('distanceM', () => {
  it('is zero for the same point and symmetric', () => {
    expect(distanceM(HBF, HBF)).toBe(0);
    expect(distanceM(HBF, KHP)).toBeCloseTo(distanceM(KHP, HBF), 6);
  });
  it('matches a hand-computed city distance', () => {
    expect(distanceM(HBF, KHP)).toBeGreaterThan(540);
    expect(distanceM(HBF, KHP)).toBeLessThan(580);
  });
  it('gives 111.2 km for one degree of latitude', () => {
    expect(distanceM({ lat: 51, lng: 7 }, { lat: 52, lng: 7 }) / 1000).toBeCloseTo(111.2, 1);
  });
});

describe('straightLineEstimator', () => {
  it('divides the distance by the speed of the mode', () => {
    const est = straightLineEstimator();
    const foot = est.estimate(HBF, KHP, 'foot');
    const car = est.estimate(HBF, KHP, 'vehicle');
    expect(foot.etaS).toBeCloseTo(foot.distanceM / DEFAULT_SPEEDS_MPS.foot, 6);
    expect(car.etaS).toBeLessThan(foot.etaS / 5);
  });
});

describe('travelModeOf', () => {
  it('takes a unit faster than a runner to be in a vehicle', () => {
    expect([travelModeOf(null), travelModeOf(1.4), travelModeOf(3), travelModeOf(8)]).toEqual([
      'foot',
      'foot',
      'foot',
      'vehicle',
    ]);
  });
});
