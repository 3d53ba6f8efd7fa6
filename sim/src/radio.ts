/**
 * Mobile network as the camera sees it: signal bars drift, the network generation follows the
 * device's provider and the signal (5G where available, LTE mostly, 3G in weak spots), and now and
 * then the signal is lost entirely for 30–180 s (underpass, basement, dead spot). While lost the
 * device keeps taking statuses and buffers them.
 */
import type { Network } from '@lagebild/protocol';
import { chance, exponential, type Rng, uniform } from './prng.ts';

export interface RadioParams {
  /** mean simulated time between two signal losses */
  meanLossIntervalMs: number;
  minLossMs: number;
  maxLossMs: number;
}

export const DEFAULT_RADIO: Readonly<RadioParams> = {
  meanLossIntervalMs: 3 * 3600_000,
  minLossMs: 30_000,
  maxLossMs: 180_000,
};

export interface RadioState {
  bars: number;
  /** best network this device's contract and area offer */
  home: Exclude<Network, 'none' | 'wifi'>;
  network: Network;
  /** simulated time of the next signal loss; Infinity = never (steady behaviour) */
  nextLossAt: number;
}

export function createRadio(
  nowMs: number,
  rng: Rng,
  losses: boolean,
  p: RadioParams = DEFAULT_RADIO,
): RadioState {
  const home = chance(rng, 0.3) ? '5g' : 'lte';
  return {
    bars: 2 + Math.floor(rng() * 3),
    home,
    network: home,
    nextLossAt: losses ? nowMs + exponential(rng, p.meanLossIntervalMs) : Number.POSITIVE_INFINITY,
  };
}

/**
 * Advance to simulated time nowMs. Returns the simulated duration of a signal loss that starts
 * now, or 0. (The caller takes the device offline for that long and then calls `restoreSignal`.)
 */
export function stepRadio(
  r: RadioState,
  nowMs: number,
  simDtMs: number,
  rng: Rng,
  p: RadioParams = DEFAULT_RADIO,
): number {
  // bars change every ~20 s of simulated time by one step
  if (chance(rng, Math.min(1, simDtMs / 20_000))) {
    const up = r.bars <= 1 ? 0.75 : r.bars >= 4 ? 0.25 : 0.5;
    r.bars = Math.max(1, Math.min(4, r.bars + (chance(rng, up) ? 1 : -1)));
  }
  r.network = r.bars <= 1 ? '3g' : r.home === '5g' && r.bars <= 2 ? 'lte' : r.home;
  if (nowMs < r.nextLossAt) return 0;
  r.nextLossAt = nowMs + exponential(rng, p.meanLossIntervalMs);
  return uniform(rng, p.minLossMs, p.maxLossMs);
}

/** Signal as reported while lost. */
export function loseSignal(r: RadioState): void {
  r.bars = 0;
  r.network = 'none';
}

export function restoreSignal(r: RadioState, rng: Rng): void {
  r.bars = 1 + Math.floor(rng() * 2);
  r.network = r.bars <= 1 ? '3g' : r.home === '5g' ? 'lte' : r.home;
}
