/**
 * Where an officer is and how they move: foot patrols walk between neighbouring waypoints of an
 * area at 1.2–1.5 m/s, stopping at each point and now and then on the way; vehicle units drive
 * between areas at 8–14 m/s with traffic stops and stay a while at each destination.
 * The state is a plain object mutated in place (one per device, no allocation per step);
 * all randomness comes from the injected Rng.
 */
import { bearingDeg, distanceM, interpolate, type LatLng, normalizeDeg } from './geo.ts';
import { chance, gaussian, pick, type Rng, uniform } from './prng.ts';
import { type City, FOOT_NEIGHBOUR_RADIUS_M, WAYPOINTS, type Waypoint } from './waypoints.ts';

export type PatrolMode = 'foot' | 'vehicle';

export interface PatrolState {
  readonly city: City;
  readonly mode: PatrolMode;
  /** index into WAYPOINTS[city] of the point left last */
  from: number;
  /** index of the point being approached (equal to `from` while standing at a point) */
  to: number;
  legM: number;
  progressM: number;
  legHeadingDeg: number;
  cruiseMps: number;
  /** remaining standing time */
  pauseMs: number;
  /** true position (before GNSS error) */
  readonly position: LatLng;
  speedMps: number;
  headingDeg: number | null;
}

/** Minimum distance of a drive; shorter trips are walked. */
const MIN_DRIVE_M = 1500;

const neighbourCache = new Map<string, readonly number[][]>();

/** For each waypoint, the indices a unit in this mode may head for next. */
export function neighbours(city: City, mode: PatrolMode): readonly number[][] {
  const key = `${city}:${mode}`;
  const cached = neighbourCache.get(key);
  if (cached) return cached;
  const points = WAYPOINTS[city];
  const result = points.map((p, i) => {
    const others = points.map((q, j) => ({ j, d: distanceM(p, q) })).filter((x) => x.j !== i);
    const near =
      mode === 'foot'
        ? others.filter((x) => x.d <= FOOT_NEIGHBOUR_RADIUS_M)
        : others.filter((x) => x.d >= MIN_DRIVE_M);
    // an isolated point still needs a way out: its two nearest (walk) or everything (drive)
    const chosen =
      near.length > 0 ? near : mode === 'foot' ? others.sort((a, b) => a.d - b.d).slice(0, 2) : others;
    return chosen.map((x) => x.j);
  });
  neighbourCache.set(key, result);
  return result;
}

export function createPatrol(city: City, mode: PatrolMode, rng: Rng): PatrolState {
  const points = WAYPOINTS[city];
  const start = Math.floor(rng() * points.length);
  const p = points[start]!;
  const s: PatrolState = {
    city,
    mode,
    from: start,
    to: start,
    legM: 0,
    progressM: 0,
    legHeadingDeg: 0,
    cruiseMps: 0,
    // units start their shift at different moments
    pauseMs: uniform(rng, 0, 60_000),
    position: { lat: p.lat, lng: p.lng },
    speedMps: 0,
    headingDeg: null,
  };
  return s;
}

/** Advance the unit by dtMs of real time. */
export function advancePatrol(s: PatrolState, dtMs: number, rng: Rng): void {
  let remainingMs = dtMs;
  let moved = false;
  while (remainingMs > 0) {
    if (s.pauseMs > 0) {
      const used = Math.min(s.pauseMs, remainingMs);
      s.pauseMs -= used;
      remainingMs -= used;
      continue;
    }
    if (s.from === s.to) startLeg(s, rng);
    moved = true;
    const speed = currentSpeed(s, rng);
    const legLeftM = s.legM - s.progressM;
    const travelM = (speed * remainingMs) / 1000;
    if (travelM >= legLeftM) {
      remainingMs -= speed > 0 ? (legLeftM / speed) * 1000 : remainingMs;
      arrive(s, rng);
      continue;
    }
    s.progressM += travelM;
    remainingMs = 0;
    s.speedMps = speed;
    interpolate(WAYPOINTS[s.city][s.from]!, WAYPOINTS[s.city][s.to]!, s.progressM / s.legM, s.position);
    if (mayStopOnTheWay(s, dtMs, rng)) break;
  }
  if (s.pauseMs > 0 || !moved || s.from === s.to) {
    s.speedMps = 0;
    s.headingDeg = null; // GNSS course is meaningless when standing
  } else {
    s.headingDeg = normalizeDeg(s.legHeadingDeg + gaussian(rng) * (s.mode === 'foot' ? 6 : 2));
  }
}

/** The officer is busy (display/recording): stays where they are. */
export function holdPatrol(s: PatrolState): void {
  s.speedMps = 0;
  s.headingDeg = null;
}

export function destinationOf(s: PatrolState): Waypoint {
  return WAYPOINTS[s.city][s.to]!;
}

function startLeg(s: PatrolState, rng: Rng): void {
  const options = neighbours(s.city, s.mode)[s.from]!;
  // do not turn straight back to where the unit just came from unless there is no other way
  const prev = s.to === s.from ? -1 : s.from;
  const fresh = options.length > 1 ? options.filter((j) => j !== prev) : options;
  s.to = pick(rng, fresh);
  const a = WAYPOINTS[s.city][s.from]!;
  const b = WAYPOINTS[s.city][s.to]!;
  s.legM = Math.max(1, distanceM(a, b));
  s.progressM = 0;
  s.legHeadingDeg = bearingDeg(a, b);
  s.cruiseMps = s.mode === 'foot' ? uniform(rng, 1.2, 1.5) : uniform(rng, 8, 14);
}

function currentSpeed(s: PatrolState, rng: Rng): number {
  if (s.mode === 'foot') return s.cruiseMps * (1 + 0.05 * Math.max(-2.5, Math.min(2.5, gaussian(rng))));
  // traffic: anything from slow to a bit above the leg's cruise speed
  return s.cruiseMps * uniform(rng, 0.6, 1.15);
}

function arrive(s: PatrolState, rng: Rng): void {
  const p = WAYPOINTS[s.city][s.to]!;
  s.position.lat = p.lat;
  s.position.lng = p.lng;
  s.from = s.to;
  s.progressM = 0;
  s.legM = 0;
  if (s.mode === 'foot') {
    // mostly a short look around, sometimes a longer stand at a hotspot
    s.pauseMs = chance(rng, 0.7) ? uniform(rng, 20_000, 120_000) : uniform(rng, 120_000, 600_000);
  } else {
    s.pauseMs = uniform(rng, 180_000, 900_000);
  }
}

/** Short stops mid-leg: a conversation on foot, a red light in a car. */
function mayStopOnTheWay(s: PatrolState, dtMs: number, rng: Rng): boolean {
  const meanIntervalMs = s.mode === 'foot' ? 400_000 : 60_000;
  if (!chance(rng, dtMs / meanIntervalMs)) return false;
  s.pauseMs = s.mode === 'foot' ? uniform(rng, 10_000, 90_000) : uniform(rng, 10_000, 40_000);
  return true;
}
