import { describe, expect, it } from 'vitest';
import { batteryPct, createBattery, stepBattery } from './battery.ts';
import { mulberry32 } from './prng.ts';

/** Hours until a full pack falls below 5 % in a constant stage. */
function hoursToEmpty(stage: 'standby' | 'display' | 'recording'): number {
  const rng = mulberry32(1);
  const b = { pct: 100 };
  let ms = 0;
  while (b.pct >= 5) {
    stepBattery(b, 1000, stage, false, rng);
    ms += 1000;
  }
  return ms / 3600_000;
}

describe('battery model', () => {
  it('lasts a shift in standby (8–12 h) and drains faster with display and recording', () => {
    const standby = hoursToEmpty('standby');
    const display = hoursToEmpty('display');
    const recording = hoursToEmpty('recording');
    expect(standby).toBeGreaterThan(8);
    expect(standby).toBeLessThan(12);
    expect(display).toBeLessThan(standby);
    expect(recording).toBeLessThan(display);
    expect(recording).toBeGreaterThan(3);
  });

  it('reports whole percent, never below 0 or above 100, and is swapped when low', () => {
    const rng = mulberry32(2);
    const b = createBattery(rng);
    expect(batteryPct(b)).toBeGreaterThanOrEqual(80);
    const seen = new Set<number>();
    let swaps = 0;
    let last = batteryPct(b);
    for (let i = 0; i < 30 * 3600; i++) {
      stepBattery(b, 1000, 'standby', false, rng);
      const pct = batteryPct(b);
      expect(Number.isInteger(pct)).toBe(true);
      expect(pct).toBeGreaterThanOrEqual(0);
      expect(pct).toBeLessThanOrEqual(100);
      if (pct > last) swaps++;
      last = pct;
      seen.add(pct);
    }
    expect(swaps).toBeGreaterThanOrEqual(2);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
  });

  it('emergency drains a little more', () => {
    const rng = mulberry32(3);
    const a = { pct: 50 };
    const b = { pct: 50 };
    stepBattery(a, 3600_000, 'recording', false, rng);
    stepBattery(b, 3600_000, 'recording', true, rng);
    expect(b.pct).toBeLessThan(a.pct);
  });
});
