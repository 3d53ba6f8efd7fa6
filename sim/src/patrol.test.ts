import { describe, expect, it } from 'vitest';
import { distanceM } from './geo.ts';
import { advancePatrol, createPatrol, holdPatrol, neighbours } from './patrol.ts';
import { mulberry32 } from './prng.ts';
import { CITIES, WAYPOINTS } from './waypoints.ts';

/** Bounding boxes of the two cities' urban areas; every waypoint must fall inside. */
const BOUNDS = {
  duisburg: { latMin: 51.33, latMax: 51.56, lngMin: 6.62, lngMax: 6.83 },
  dortmund: { latMin: 51.41, latMax: 51.6, lngMin: 7.3, lngMax: 7.64 },
};

describe('waypoints', () => {
  it('lie inside their city', () => {
    for (const city of CITIES) {
      const b = BOUNDS[city];
      for (const p of WAYPOINTS[city]) {
        expect(p.lat, p.name).toBeGreaterThan(b.latMin);
        expect(p.lat, p.name).toBeLessThan(b.latMax);
        expect(p.lng, p.name).toBeGreaterThan(b.lngMin);
        expect(p.lng, p.name).toBeLessThan(b.lngMax);
      }
    }
  });

  it('every point has somewhere to walk and somewhere to drive', () => {
    for (const city of CITIES) {
      for (const mode of ['foot', 'vehicle'] as const) {
        const n = neighbours(city, mode);
        n.forEach((list, i) => {
          expect(list.length, `${city} ${mode} ${WAYPOINTS[city][i]!.name}`).toBeGreaterThan(0);
        });
      }
    }
  });
});

describe('patrol movement', () => {
  it('is deterministic for a seed', () => {
    const run = () => {
      const rng = mulberry32(5);
      const s = createPatrol('duisburg', 'foot', rng);
      const track: number[] = [];
      for (let i = 0; i < 600; i++) {
        advancePatrol(s, 1000, rng);
        track.push(s.position.lat, s.position.lng);
      }
      return track;
    };
    expect(run()).toEqual(run());
  });

  it('walks at 1.2–1.5 m/s (about ±5 %) and pauses, staying near the city centre', () => {
    const rng = mulberry32(11);
    const s = createPatrol('dortmund', 'foot', rng);
    const centre = WAYPOINTS.dortmund[0]!;
    let moving = 0;
    let standing = 0;
    let prev = { ...s.position };
    for (let i = 0; i < 4 * 3600; i++) {
      advancePatrol(s, 1000, rng);
      const stepM = distanceM(prev, s.position);
      prev = { ...s.position };
      if (s.speedMps > 0) {
        moving++;
        expect(s.speedMps).toBeGreaterThan(1.0);
        expect(s.speedMps).toBeLessThan(1.75);
        expect(s.headingDeg).not.toBeNull();
        expect(stepM).toBeLessThan(2);
      } else {
        standing++;
        expect(s.headingDeg).toBeNull();
      }
      expect(distanceM(centre, s.position)).toBeLessThan(4000);
    }
    expect(moving).toBeGreaterThan(3600 * 0.3);
    expect(standing).toBeGreaterThan(3600 * 0.3);
  });

  it('heading points from the last waypoint to the next', () => {
    const rng = mulberry32(3);
    const s = createPatrol('duisburg', 'foot', rng);
    for (let i = 0; i < 3600; i++) {
      advancePatrol(s, 1000, rng);
      if (s.speedMps > 0) {
        const diff = Math.abs(((s.headingDeg! - s.legHeadingDeg + 540) % 360) - 180);
        expect(diff).toBeLessThan(30);
      }
    }
  });

  it('vehicles drive 8–14 m/s (with traffic) between distant areas', () => {
    const rng = mulberry32(21);
    const s = createPatrol('duisburg', 'vehicle', rng);
    const speeds: number[] = [];
    const legs = new Set<number>();
    for (let i = 0; i < 6 * 3600; i++) {
      advancePatrol(s, 1000, rng);
      if (s.speedMps > 0) speeds.push(s.speedMps);
      if (s.legM > 0) legs.add(Math.round(s.legM));
    }
    expect(speeds.length).toBeGreaterThan(100);
    expect(Math.max(...speeds)).toBeLessThanOrEqual(14 * 1.15 + 1e-9);
    const mean = speeds.reduce((a, b) => a + b, 0) / speeds.length;
    expect(mean).toBeGreaterThan(6);
    expect(mean).toBeLessThan(13);
    expect([...legs].every((m) => m >= 1500)).toBe(true);
  });

  it('holdPatrol stands still', () => {
    const rng = mulberry32(1);
    const s = createPatrol('dortmund', 'foot', rng);
    advancePatrol(s, 120_000, rng);
    holdPatrol(s);
    expect(s.speedMps).toBe(0);
    expect(s.headingDeg).toBeNull();
  });
});
