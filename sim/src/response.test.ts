import { describe, expect, it } from 'vitest';
import { distanceM } from './geo.ts';
import { createPatrol } from './patrol.ts';
import { mulberry32 } from './prng.ts';
import { assign, DEFAULT_RESPONSE, decideAnswer, moveToward, stepAssignment } from './response.ts';
import { WAYPOINTS } from './waypoints.ts';

describe('decideAnswer', () => {
  it('accepts about as often as the acceptance rate says, and gives a reason when declining', () => {
    const rng = mulberry32(42);
    const answers = Array.from({ length: 2000 }, () => decideAnswer(rng, DEFAULT_RESPONSE));
    const accepted = answers.filter((a) => a.answer === 'accept').length / answers.length;
    expect(accepted).toBeGreaterThan(0.82);
    expect(accepted).toBeLessThan(0.88);
    expect(answers.filter((a) => a.answer === 'decline').every((a) => a.reason)).toBe(true);
    expect(answers.every((a) => a.delayMs >= 3000 && a.delayMs <= 15000)).toBe(true);
  });
  it('is deterministic for a seed', () => {
    expect(decideAnswer(mulberry32(7), DEFAULT_RESPONSE)).toEqual(
      decideAnswer(mulberry32(7), DEFAULT_RESPONSE),
    );
  });
});

describe('moving to an incident and back to patrol', () => {
  it('moves at response speed toward the target and stops there', () => {
    const s = createPatrol('duisburg', 'foot', mulberry32(1));
    const target = { lat: s.position.lat + 0.001, lng: s.position.lng }; // ~111 m north
    expect(moveToward(s, target, 10_000)).toBe(false); // 22 m in 10 s
    expect(s.speedMps).toBeCloseTo(2.2);
    expect(s.headingDeg).toBeCloseTo(0, 0);
    expect(distanceM(s.position, target)).toBeCloseTo(111 - 22, -1);
    expect(moveToward(s, target, 60_000)).toBe(true);
    expect(distanceM(s.position, target)).toBeLessThan(1);
  });

  it('goes to the scene, stays, returns to the nearest waypoint and hands back to the patrol', () => {
    const rng = mulberry32(3);
    const s = createPatrol('dortmund', 'vehicle', rng);
    const target = { lat: 51.5149, lng: 7.4636 };
    const a = assign('r1', target, rng, { ...DEFAULT_RESPONSE, minOnSceneMs: 60_000, maxOnSceneMs: 60_000 });
    let steps = 0;
    while (a.phase === 'to_scene' && steps++ < 10_000) stepAssignment(a, s, 1000, 1000);
    expect(a.phase).toBe('on_scene');
    expect(distanceM(s.position, target)).toBeLessThan(12);
    for (let i = 0; i < 59; i++) stepAssignment(a, s, 1000, 1000);
    expect(a.phase).toBe('on_scene');
    stepAssignment(a, s, 1000, 1000);
    expect(a.phase).toBe('returning');
    let active = true;
    while (active && steps++ < 20_000) active = stepAssignment(a, s, 1000, 1000);
    expect(active).toBe(false);
    const wp = WAYPOINTS.dortmund[a.rejoin]!;
    expect([s.from, s.to]).toEqual([a.rejoin, a.rejoin]);
    expect(s.position).toEqual({ lat: wp.lat, lng: wp.lng });
  });
});
