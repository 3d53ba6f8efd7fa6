import { Position } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { distanceM } from './geo.ts';
import { createGnss, sampleFix } from './gnss.ts';
import { mulberry32 } from './prng.ts';

describe('GNSS fixes', () => {
  it('mostly 3–15 m accuracy, occasionally worse, with errors that match the stated radius', () => {
    const rng = mulberry32(1);
    const g = createGnss(rng);
    const truth = { lat: 51.4335, lng: 6.7658 };
    const n = 20_000;
    let normal = 0;
    let within = 0;
    for (let i = 0; i < n; i++) {
      const fix = sampleFix(g, truth, rng);
      expect(Position.safeParse(fix).success).toBe(true);
      if (fix.accuracyM >= 3 && fix.accuracyM <= 15) normal++;
      if (distanceM(truth, fix) <= fix.accuracyM) within++;
    }
    expect(normal / n).toBeGreaterThan(0.95);
    expect(normal / n).toBeLessThan(1);
    // the accuracy field is a 68 % radius
    expect(within / n).toBeGreaterThan(0.62);
    expect(within / n).toBeLessThan(0.74);
  });
});
