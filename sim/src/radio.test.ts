import { describe, expect, it } from 'vitest';
import { mulberry32 } from './prng.ts';
import { createRadio, loseSignal, restoreSignal, stepRadio } from './radio.ts';

describe('radio model', () => {
  it('keeps bars within 1..4 and the network consistent with the signal', () => {
    const rng = mulberry32(1);
    const r = createRadio(0, rng, false);
    const networks = new Set<string>();
    for (let t = 0; t < 8 * 3600_000; t += 1000) {
      expect(stepRadio(r, t, 1000, rng)).toBe(0);
      expect(r.bars).toBeGreaterThanOrEqual(1);
      expect(r.bars).toBeLessThanOrEqual(4);
      if (r.bars <= 1) expect(r.network).toBe('3g');
      networks.add(r.network);
    }
    expect(networks.size).toBeGreaterThan(1);
  });

  it('loses the signal a few times per shift for 30–180 s when losses are enabled', () => {
    const rng = mulberry32(2);
    const r = createRadio(0, rng, true);
    const losses: number[] = [];
    for (let t = 0; t < 100 * 8 * 3600_000; t += 5000) {
      const d = stepRadio(r, t, 5000, rng);
      if (d > 0) losses.push(d);
    }
    const perShift = losses.length / 100;
    expect(perShift).toBeGreaterThan(1.5);
    expect(perShift).toBeLessThan(4);
    expect(Math.min(...losses)).toBeGreaterThanOrEqual(30_000);
    expect(Math.max(...losses)).toBeLessThanOrEqual(180_000);
  });

  it('reports no signal while lost and some signal after', () => {
    const rng = mulberry32(3);
    const r = createRadio(0, rng, true);
    loseSignal(r);
    expect(r).toMatchObject({ bars: 0, network: 'none' });
    restoreSignal(r, rng);
    expect(r.bars).toBeGreaterThan(0);
    expect(r.network).not.toBe('none');
  });
});
