/**
 * How an officer answers a dispatch request and heads for the incident. Most accept after a few
 * seconds, some decline with a reason; an accepted unit hurries to the scene, stays a while, then
 * walks (or drives) back to the nearest waypoint of its patrol area and resumes its patrol.
 * Pure functions on plain state; randomness from the injected Rng.
 */
import { bearingDeg, distanceM, interpolate, type LatLng } from './geo.ts';
import type { PatrolState } from './patrol.ts';
import { pick, type Rng, uniform } from './prng.ts';
import { WAYPOINTS } from './waypoints.ts';

export interface ResponseParams {
  /** share of requests accepted */
  acceptRate: number;
  /** real time until the officer answers */
  minAnswerMs: number;
  maxAnswerMs: number;
  /** simulated time spent at the scene before returning to patrol */
  minOnSceneMs: number;
  maxOnSceneMs: number;
}

export const DEFAULT_RESPONSE: ResponseParams = {
  acceptRate: 0.85,
  minAnswerMs: 3_000,
  maxAnswerMs: 15_000,
  minOnSceneMs: 5 * 60_000,
  maxOnSceneMs: 20 * 60_000,
};

export const DECLINE_REASONS = [
  'selbst im Einsatz',
  'Pause',
  'zu weit entfernt',
  'Personenkontrolle läuft',
] as const;

export interface Answer {
  answer: 'accept' | 'decline';
  reason: string | null;
  delayMs: number;
}

export function decideAnswer(rng: Rng, p: ResponseParams): Answer {
  const delayMs = uniform(rng, p.minAnswerMs, p.maxAnswerMs);
  if (rng() < p.acceptRate) return { answer: 'accept', reason: null, delayMs };
  return { answer: 'decline', reason: pick(rng, DECLINE_REASONS), delayMs };
}

/** Hurrying: a running officer, or a patrol car with blue lights in city traffic. */
const RESPONSE_SPEED_MPS = { foot: 2.2, vehicle: 11 } as const;
const ARRIVED_M = 8;

export interface Assignment {
  requestId: string;
  target: LatLng;
  phase: 'to_scene' | 'on_scene' | 'returning';
  /** simulated time left at the scene */
  onSceneLeftMs: number;
  /** waypoint index to return to */
  rejoin: number;
}

export function assign(requestId: string, target: LatLng, rng: Rng, p: ResponseParams): Assignment {
  return {
    requestId,
    target: { ...target },
    phase: 'to_scene',
    onSceneLeftMs: uniform(rng, p.minOnSceneMs, p.maxOnSceneMs),
    rejoin: -1,
  };
}

/** Moves the unit straight toward `to`; returns true once it is there. */
export function moveToward(s: PatrolState, to: LatLng, realDtMs: number): boolean {
  const left = distanceM(s.position, to);
  if (left <= ARRIVED_M) {
    s.speedMps = 0;
    s.headingDeg = null;
    return true;
  }
  const speed = RESPONSE_SPEED_MPS[s.mode];
  const step = (speed * realDtMs) / 1000;
  s.headingDeg = bearingDeg(s.position, to);
  s.speedMps = speed;
  interpolate({ ...s.position }, to, Math.min(1, step / left), s.position);
  return step >= left;
}

function nearestWaypoint(s: PatrolState): number {
  const points = WAYPOINTS[s.city];
  let best = 0;
  let bestM = Number.POSITIVE_INFINITY;
  points.forEach((p, i) => {
    const d = distanceM(s.position, p);
    if (d < bestM) {
      bestM = d;
      best = i;
    }
  });
  return best;
}

/**
 * One step of an assignment. Returns false once the unit is back on its patrol (the caller drops
 * the assignment and the patrol model takes over from the waypoint reached).
 */
export function stepAssignment(a: Assignment, s: PatrolState, realDtMs: number, simDtMs: number): boolean {
  switch (a.phase) {
    case 'to_scene':
      if (moveToward(s, a.target, realDtMs)) a.phase = 'on_scene';
      return true;
    case 'on_scene':
      s.speedMps = 0;
      s.headingDeg = null;
      a.onSceneLeftMs -= simDtMs;
      if (a.onSceneLeftMs <= 0) {
        a.phase = 'returning';
        a.rejoin = nearestWaypoint(s);
      }
      return true;
    case 'returning': {
      const wp = WAYPOINTS[s.city][a.rejoin]!;
      if (!moveToward(s, wp, realDtMs)) return true;
      // back at a waypoint: the patrol continues from here
      s.from = a.rejoin;
      s.to = a.rejoin;
      s.progressM = 0;
      s.legM = 0;
      s.pauseMs = 0;
      s.position.lat = wp.lat;
      s.position.lng = wp.lng;
      return false;
    }
  }
}
