import { STAGE_ORDER, type Stage } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import {
  createEscalation,
  DEFAULT_ESCALATION,
  type EscalationState,
  setEmergencyManually,
  setStageManually,
  stepEscalation,
  UNANNOUNCED_REASON,
} from './escalation.ts';
import { mulberry32 } from './prng.ts';

interface Episode {
  maxStage: Stage;
  displayMs: number;
  recordingMs: number;
  announced: boolean | null;
  emergency: boolean;
}

const STEP_MS = 2000;

/** Simulate `hours` of one device at 2 s resolution and cut the stage trace into episodes. */
function simulate(seed: number, hours: number) {
  const rng = mulberry32(seed);
  const s = createEscalation(0, rng);
  const episodes: Episode[] = [];
  let current: Episode | null = null;
  const transitions: Array<[Stage, Stage]> = [];
  let prev: Stage = s.stage;
  let violations = 0;
  for (let t = 0; t <= hours * 3600_000; t += STEP_MS) {
    stepEscalation(s, t, rng);
    if (!invariantsHold(s)) violations++;
    if (s.stage !== prev) transitions.push([prev, s.stage]);
    if (s.stage !== 'standby') {
      current ??= { maxStage: 'standby', displayMs: 0, recordingMs: 0, announced: null, emergency: false };
      if (STAGE_ORDER[s.stage] > STAGE_ORDER[current.maxStage]) current.maxStage = s.stage;
      if (s.stage === 'display') current.displayMs += STEP_MS;
      if (s.stage === 'recording') {
        current.recordingMs += STEP_MS;
        current.announced = s.announced;
      }
      if (s.emergency) current.emergency = true;
    } else if (current) {
      episodes.push(current);
      current = null;
    }
    prev = s.stage;
  }
  return { episodes, transitions, violations };
}

/** What the protocol demands of every status (DeviceStatus refinements). */
function invariantsHold(s: EscalationState): boolean {
  if (s.stage === 'recording')
    return s.announced === true || (s.announced === false && !!s.unannouncedReason);
  return s.announced === null && s.unannouncedReason === null;
}

describe('escalation model', () => {
  it('is deterministic for a seed', () => {
    expect(simulate(9, 24)).toEqual(simulate(9, 24));
  });

  it('every state satisfies the protocol rules for announced/unannouncedReason', () => {
    expect(simulate(8, 8 * 100).violations).toBe(0);
  });

  it('produces a few episodes per 8 h shift, most of them ending without recording', () => {
    const { episodes } = simulate(1, 8 * 300); // 300 shifts of one officer
    const perShift = episodes.length / 300;
    expect(perShift).toBeGreaterThan(3.5);
    expect(perShift).toBeLessThan(5.5);
    const recorded = episodes.filter((e) => e.maxStage === 'recording');
    const share = recorded.length / episodes.length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.16);
    const unannounced = recorded.filter((e) => e.announced === false).length / recorded.length;
    expect(unannounced).toBeGreaterThan(0.03);
    expect(unannounced).toBeLessThan(0.2);
    const withEmergency = episodes.filter((e) => e.emergency).length / episodes.length;
    expect(withEmergency).toBeGreaterThan(0.01);
    expect(withEmergency).toBeLessThan(0.08);
  });

  it('keeps display-only episodes to 20–120 s and recordings to 30–300 s', () => {
    const { episodes } = simulate(2, 8 * 100);
    for (const e of episodes.filter((x) => x.maxStage === 'display')) {
      expect(e.displayMs).toBeGreaterThanOrEqual(19_000);
      expect(e.displayMs).toBeLessThanOrEqual(121_000);
    }
    for (const e of episodes.filter((x) => x.maxStage === 'recording')) {
      expect(e.recordingMs).toBeGreaterThanOrEqual(29_000);
      expect(e.recordingMs).toBeLessThanOrEqual(301_000);
    }
  });

  it('only moves along the escalation ladder (standby never jumps to recording)', () => {
    const { transitions } = simulate(3, 8 * 50);
    const seen = new Set(transitions.map(([a, b]) => `${a}->${b}`));
    expect(seen).not.toContain('standby->recording');
    expect([...seen].sort()).toEqual(
      [
        'display->recording',
        'display->standby',
        'recording->display',
        'recording->standby',
        'standby->display',
      ].sort(),
    );
  });

  it('catches up on every due transition in one big step (compressed time)', () => {
    const rng = mulberry32(4);
    const p = { ...DEFAULT_ESCALATION, episodesPerShift: 1000, minGapMs: 60_000 };
    const s = createEscalation(0, rng, p);
    for (let t = 0; t <= 4 * 3600_000; t += 600_000) {
      stepEscalation(s, t, rng, p);
      expect(s.phaseEndsAt).toBeGreaterThan(t);
      expect(invariantsHold(s)).toBe(true);
    }
  });

  it('manual stages: recording needs a reason when unannounced; display returns to standby by itself', () => {
    const rng = mulberry32(5);
    const s = createEscalation(0, rng);
    expect(() => setStageManually(s, 'recording', { announced: false }, 0, rng)).toThrow(/unannouncedReason/);
    setStageManually(s, 'recording', { announced: false, unannouncedReason: UNANNOUNCED_REASON }, 0, rng);
    expect(s).toMatchObject({ stage: 'recording', announced: false, unannouncedReason: UNANNOUNCED_REASON });
    setStageManually(s, 'display', {}, 1000, rng);
    expect(s).toMatchObject({ stage: 'display', announced: null, unannouncedReason: null });
    stepEscalation(s, 1000 + 121_000, rng);
    expect(s.stage).toBe('standby');
  });

  it('manual emergency clears itself after at most 5 minutes in the realistic model', () => {
    const rng = mulberry32(6);
    const s = createEscalation(0, rng, { ...DEFAULT_ESCALATION, episodesPerShift: 0.0001 });
    setEmergencyManually(s, true, 0, rng);
    expect(stepEscalation(s, 30_000, rng)).toBe(false);
    expect(s.emergency).toBe(true);
    expect(stepEscalation(s, 301_000, rng)).toBe(true);
    expect(s.emergency).toBe(false);
  });
});
