import { describe, expect, it } from 'vitest';
import { per1000Hours, quantile, rateRatio, wilson } from './confidence.ts';

describe('wilson()', () => {
  it('matches the textbook interval for 8 of 10 (0.490 – 0.943)', () => {
    const w = wilson(8, 10)!;
    expect(w.estimate).toBe(0.8);
    expect(w.low).toBeCloseTo(0.4902, 4);
    expect(w.high).toBeCloseTo(0.9433, 4);
  });
  it('stays inside [0, 1] at the edges: 0 of 10 → 0 – 0.278, 10 of 10 → 0.722 – 1', () => {
    expect(wilson(0, 10)).toMatchObject({ low: 0 });
    expect(wilson(0, 10)!.high).toBeCloseTo(0.2775, 4);
    expect(wilson(10, 10)!.low).toBeCloseTo(0.7225, 4);
    expect(wilson(10, 10)!.high).toBe(1);
  });
  it('has no estimate without observations and refuses impossible counts', () => {
    expect(wilson(0, 0)).toBeNull();
    expect(() => wilson(11, 10)).toThrow(RangeError);
  });
});

describe('rateRatio()', () => {
  it('10 per 1,000 h against 20 per 1,000 h is 0.5 (0.234 – 1.068)', () => {
    const rr = rateRatio(10, 1000, 20, 1000)!;
    expect(rr.ratio).toBeCloseTo(0.5, 10);
    expect(rr.low).toBeCloseTo(0.2341, 3);
    expect(rr.high).toBeCloseTo(1.0679, 3);
    expect(rr.corrected).toBe(false);
  });
  it('corrects a zero count by 0.5 so the ratio stays finite', () => {
    const rr = rateRatio(0, 1000, 46, 38_000)!;
    expect(rr.corrected).toBe(true);
    expect(rr.ratio).toBeCloseTo(0.5 / 1000 / (46.5 / 38_000), 10);
  });
  it('needs exposure on both sides', () => {
    expect(rateRatio(1, 0, 1, 10)).toBeNull();
  });
});

describe('per1000Hours() and quantile()', () => {
  it('scales counts to 1,000 officer-hours', () => {
    expect(per1000Hours(3, 1500)).toBe(2);
    expect(per1000Hours(3, 0)).toBeNull();
  });
  it('interpolates like percentile_cont', () => {
    expect(quantile([40, 10, 30, 20], 0.5)).toBe(25);
    expect(quantile([10, 20, 30, 40, 50], 0.9)).toBe(46);
    expect(quantile([], 0.5)).toBeNull();
  });
});
