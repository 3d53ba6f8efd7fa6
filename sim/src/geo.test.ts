import { describe, expect, it } from 'vitest';
import { bearingDeg, distanceM, interpolate, normalizeDeg, offsetM } from './geo.ts';

const duisburgHbf = { lat: 51.4301, lng: 6.775 };
const dortmundHbf = { lat: 51.5178, lng: 7.4593 };

describe('geo', () => {
  it('distanceM matches the known Duisburg–Dortmund station distance (~48 km)', () => {
    const d = distanceM(duisburgHbf, dortmundHbf);
    expect(d).toBeGreaterThan(47_000);
    expect(d).toBeLessThan(49_000);
    expect(distanceM(duisburgHbf, duisburgHbf)).toBe(0);
  });

  it('bearingDeg gives compass bearings', () => {
    const p = { lat: 51.5, lng: 7 };
    expect(bearingDeg(p, { lat: 51.6, lng: 7 })).toBeCloseTo(0, 5);
    expect(bearingDeg(p, { lat: 51.5, lng: 7.1 })).toBeCloseTo(90, 0);
    expect(bearingDeg(p, { lat: 51.4, lng: 7 })).toBeCloseTo(180, 5);
    expect(bearingDeg(p, { lat: 51.5, lng: 6.9 })).toBeCloseTo(270, 0);
  });

  it('offsetM moves by the requested metres', () => {
    const out = { lat: 0, lng: 0 };
    offsetM(duisburgHbf, 100, 0, out);
    expect(distanceM(duisburgHbf, out)).toBeCloseTo(100, 0);
    offsetM(duisburgHbf, 0, -250, out);
    expect(distanceM(duisburgHbf, out)).toBeCloseTo(250, 0);
    expect(bearingDeg(duisburgHbf, out)).toBeCloseTo(270, 0);
  });

  it('interpolate and normalizeDeg', () => {
    const mid = interpolate(duisburgHbf, dortmundHbf, 0.5, { lat: 0, lng: 0 });
    expect(Math.abs(distanceM(duisburgHbf, mid) - distanceM(mid, dortmundHbf))).toBeLessThan(100);
    expect(normalizeDeg(-90)).toBe(270);
    expect(normalizeDeg(720)).toBe(0);
  });
});
