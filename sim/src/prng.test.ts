import { describe, expect, it } from 'vitest';
import { chance, deviceSeed, exponential, gaussian, mulberry32, pick, uniform } from './prng.ts';

describe('prng', () => {
  it('mulberry32 reproduces the same sequence for the same seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 100 }, () => a());
    const ys = Array.from({ length: 100 }, () => b());
    expect(xs).toEqual(ys);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(xs[0]);
  });

  it('deviceSeed differs per device and per run seed, and is stable', () => {
    expect(deviceSeed(1, 'a')).toBe(deviceSeed(1, 'a'));
    expect(deviceSeed(1, 'a')).not.toBe(deviceSeed(1, 'b'));
    expect(deviceSeed(1, 'a')).not.toBe(deviceSeed(2, 'a'));
  });

  it('helpers stay within their ranges and have plausible means', () => {
    const rng = mulberry32(7);
    let sumU = 0;
    let sumG = 0;
    let sumE = 0;
    let hits = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const u = uniform(rng, 5, 10);
      expect(u).toBeGreaterThanOrEqual(5);
      expect(u).toBeLessThan(10);
      sumU += u;
      sumG += gaussian(rng);
      sumE += exponential(rng, 3);
      if (chance(rng, 0.25)) hits++;
    }
    expect(sumU / n).toBeCloseTo(7.5, 1);
    expect(Math.abs(sumG / n)).toBeLessThan(0.05);
    expect(sumE / n).toBeCloseTo(3, 0);
    expect(hits / n).toBeCloseTo(0.25, 1);
    expect(['x', 'y']).toContain(pick(rng, ['x', 'y']));
    expect(() => pick(rng, [])).toThrow(RangeError);
  });
});
