/**
 * Battery of a body camera over a shift: a full pack lasts about 11 h in standby, about 8 h with
 * the front display on and about 4.5 h while recording (video encoding plus LTE upload). Below
 * 5 % the officer swaps the pack at the next opportunity (a fresh pack reads 97–100 %).
 */
import type { Stage } from '@lagebild/protocol';
import { chance, type Rng, uniform } from './prng.ts';

/** drain in percent per hour of simulated time */
export const DRAIN_PCT_PER_HOUR: Readonly<Record<Stage, number>> = {
  standby: 100 / 11,
  display: 100 / 8,
  recording: 100 / 4.5,
};
/** the alarm keeps radio and GNSS at full power */
export const EMERGENCY_EXTRA_PCT_PER_HOUR = 3;
const SWAP_BELOW_PCT = 5;

export interface BatteryState {
  /** exact charge, 0..100; statuses report it rounded down */
  pct: number;
}

/** Devices start the shift with a pack that is not always quite full. */
export function createBattery(rng: Rng): BatteryState {
  return { pct: uniform(rng, 80, 100) };
}

export function stepBattery(
  b: BatteryState,
  simDtMs: number,
  stage: Stage,
  emergency: boolean,
  rng: Rng,
): void {
  const perHour = DRAIN_PCT_PER_HOUR[stage] + (emergency ? EMERGENCY_EXTRA_PCT_PER_HOUR : 0);
  b.pct = Math.max(0, b.pct - (perHour * simDtMs) / 3600_000);
  // the swap happens when the officer gets round to it, not at an exact threshold, and never
  // in the middle of a recording
  if (b.pct < SWAP_BELOW_PCT && stage !== 'recording' && chance(rng, Math.min(1, simDtMs / 600_000))) {
    b.pct = uniform(rng, 97, 100);
  }
}

export function batteryPct(b: BatteryState): number {
  return Math.max(0, Math.min(100, Math.floor(b.pct)));
}
