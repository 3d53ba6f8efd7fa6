/**
 * The escalation model of one officer's camera, as a state machine over simulated time.
 *
 * standby ──(episode starts at a random moment)──▶ display
 *   display ──(most episodes, 20–120 s)──▶ standby
 *   display ──(≈13 %, after 5–45 s; unannounced ones after 2–8 s)──▶ recording
 *   recording ──(30–300 s)──▶ display (10–60 s) ──▶ standby, or straight back to standby
 * Recordings are announced unless the officer acts under imminent danger (Gefahr im Verzug).
 * Emergencies (alarm button) are rare, usually during a recording, and clear after 1–5 minutes.
 *
 * Episodes arrive as a Poisson process (a few per shift), so the gaps are memoryless and a
 * `timeScale` simply compresses the clock. The state is mutated in place; randomness is injected.
 */
import type { Stage } from '@lagebild/protocol';
import { chance, exponential, type Rng, uniform } from './prng.ts';

export const UNANNOUNCED_REASON = 'Gefahr im Verzug (imminent danger)';

export interface EscalationParams {
  /** mean number of episodes per shift */
  episodesPerShift: number;
  shiftMs: number;
  /** no new episode sooner than this after the last one ended */
  minGapMs: number;
  /** share of episodes that escalate to recording */
  pRecording: number;
  /** share of recordings that are not announced */
  pUnannounced: number;
  pEmergencyWithRecording: number;
  pEmergencyWithoutRecording: number;
}

export const DEFAULT_ESCALATION: Readonly<EscalationParams> = {
  episodesPerShift: 5,
  shiftMs: 8 * 3600_000,
  minGapMs: 5 * 60_000,
  pRecording: 0.13,
  pUnannounced: 0.1,
  pEmergencyWithRecording: 0.25,
  pEmergencyWithoutRecording: 0.01,
};

type Phase = 'idle' | 'display' | 'display-before-recording' | 'recording' | 'display-after';

export interface EscalationState {
  stage: Stage;
  announced: boolean | null;
  unannouncedReason: string | null;
  emergency: boolean;
  phase: Phase;
  /** simulated time (ms) when the current phase ends, or the next episode starts when idle */
  phaseEndsAt: number;
  /** simulated time when the emergency flag clears; Infinity = only when told to */
  emergencyEndsAt: number;
  /** decided at episode start for escalating episodes */
  willAnnounce: boolean;
}

export function createEscalation(
  nowMs: number,
  rng: Rng,
  p: EscalationParams = DEFAULT_ESCALATION,
): EscalationState {
  return {
    stage: 'standby',
    announced: null,
    unannouncedReason: null,
    emergency: false,
    phase: 'idle',
    phaseEndsAt: nowMs + exponential(rng, meanGapMs(p)),
    emergencyEndsAt: Number.POSITIVE_INFINITY,
    willAnnounce: true,
  };
}

/**
 * Run the machine up to simulated time nowMs. Returns true when anything a status carries
 * (stage, announced, reason, emergency) changed.
 */
export function stepEscalation(
  s: EscalationState,
  nowMs: number,
  rng: Rng,
  p: EscalationParams = DEFAULT_ESCALATION,
): boolean {
  const { stage, announced, unannouncedReason, emergency } = s;
  // several transitions can be due at once when the clock is compressed; the guard only stops a
  // misconfiguration (zero durations) from spinning forever
  for (let guard = 0; guard < 32 && s.phaseEndsAt <= nowMs; guard++) {
    const at = s.phaseEndsAt;
    switch (s.phase) {
      case 'idle':
        startEpisode(s, at, rng, p);
        break;
      case 'display-before-recording':
        enterRecording(s, at, rng, p);
        break;
      case 'recording':
        if (chance(rng, 0.6)) enter(s, 'display-after', 'display', at + uniform(rng, 10_000, 60_000));
        else endEpisode(s, at, rng, p);
        break;
      case 'display':
      case 'display-after':
        endEpisode(s, at, rng, p);
        break;
    }
  }
  if (s.emergency && s.emergencyEndsAt <= nowMs) {
    s.emergency = false;
    s.emergencyEndsAt = Number.POSITIVE_INFINITY;
  }
  return (
    s.stage !== stage ||
    s.announced !== announced ||
    s.unannouncedReason !== unannouncedReason ||
    s.emergency !== emergency
  );
}

export interface ManualStageOptions {
  announced?: boolean;
  unannouncedReason?: string;
}

/**
 * Put the camera into a stage by hand (tests, demos). In the realistic model the episode then
 * runs on from there with the usual durations; in the steady model nothing moves it again.
 */
export function setStageManually(
  s: EscalationState,
  stage: Stage,
  opts: ManualStageOptions,
  nowMs: number,
  rng: Rng,
  p: EscalationParams = DEFAULT_ESCALATION,
): void {
  if (stage === 'recording') {
    const announced = opts.announced ?? true;
    if (!announced && !opts.unannouncedReason) {
      throw new TypeError('an unannounced recording needs unannouncedReason (e.g. "Gefahr im Verzug")');
    }
    enter(s, 'recording', 'recording', nowMs + uniform(rng, 30_000, 300_000));
    s.announced = announced;
    s.unannouncedReason = announced ? null : opts.unannouncedReason!;
  } else if (stage === 'display') {
    enter(s, 'display', 'display', nowMs + uniform(rng, 20_000, 120_000));
  } else {
    endEpisode(s, nowMs, rng, p);
  }
}

/** Press or release the alarm by hand; a pressed alarm clears itself after 1–5 min (realistic model). */
export function setEmergencyManually(s: EscalationState, on: boolean, nowMs: number, rng: Rng): void {
  s.emergency = on;
  s.emergencyEndsAt = on ? nowMs + uniform(rng, 60_000, 300_000) : Number.POSITIVE_INFINITY;
}

function meanGapMs(p: EscalationParams): number {
  return p.shiftMs / p.episodesPerShift;
}

function startEpisode(s: EscalationState, at: number, rng: Rng, p: EscalationParams): void {
  if (chance(rng, p.pRecording)) {
    s.willAnnounce = !chance(rng, p.pUnannounced);
    // no time to announce under imminent danger: the recording starts almost at once
    const dwell = s.willAnnounce ? uniform(rng, 5_000, 45_000) : uniform(rng, 2_000, 8_000);
    enter(s, 'display-before-recording', 'display', at + dwell);
  } else {
    enter(s, 'display', 'display', at + uniform(rng, 20_000, 120_000));
    if (chance(rng, p.pEmergencyWithoutRecording)) raiseEmergency(s, at, rng);
  }
}

function enterRecording(s: EscalationState, at: number, rng: Rng, p: EscalationParams): void {
  enter(s, 'recording', 'recording', at + uniform(rng, 30_000, 300_000));
  s.announced = s.willAnnounce;
  s.unannouncedReason = s.willAnnounce ? null : UNANNOUNCED_REASON;
  // an unannounced recording is by definition a dangerous moment: emergencies cluster there
  const pEmergency = s.willAnnounce ? p.pEmergencyWithRecording : Math.min(1, p.pEmergencyWithRecording * 2);
  if (chance(rng, pEmergency)) raiseEmergency(s, at, rng);
}

function raiseEmergency(s: EscalationState, at: number, rng: Rng): void {
  s.emergency = true;
  s.emergencyEndsAt = at + uniform(rng, 60_000, 300_000);
}

function endEpisode(s: EscalationState, at: number, rng: Rng, p: EscalationParams): void {
  enter(s, 'idle', 'standby', at + p.minGapMs + exponential(rng, meanGapMs(p)));
}

function enter(s: EscalationState, phase: Phase, stage: Stage, endsAt: number): void {
  s.phase = phase;
  s.stage = stage;
  s.phaseEndsAt = endsAt;
  if (stage !== 'recording') {
    s.announced = null;
    s.unannouncedReason = null;
  }
}
