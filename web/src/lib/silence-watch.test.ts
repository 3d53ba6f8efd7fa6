import { describe, expect, it } from 'vitest';
import { silenceWatch } from './silence-watch.ts';

const TICK = 100;
const TIMEOUT = 1500;

/** ticks on time from `from` to `to` (inclusive); the first tick that says silent, or null */
function firstSilent(w: ReturnType<typeof silenceWatch>, from: number, to: number): number | null {
  for (let t = from; t <= to; t += TICK) if (w.tick(t)) return t;
  return null;
}

describe('silenceWatch()', () => {
  it('says silent the timeout after the last message on a page that runs on time', () => {
    const w = silenceWatch({ timeoutMs: TIMEOUT, tickMs: TICK, nowMs: 0 });
    expect(firstSilent(w, 100, 1000)).toBeNull();
    w.heard(1000);
    expect(firstSilent(w, 1100, 5000)).toBe(2500);
  });

  it('does not count a stretch the page itself was blocked as silence', () => {
    const w = silenceWatch({ timeoutMs: TIMEOUT, tickMs: TICK, nowMs: 0 });
    expect(firstSilent(w, 100, 1000)).toBeNull();
    // a long task from 1000 to 4000 ms: the next tick comes 3 s late, the queued messages after it
    expect(w.tick(4000)).toBe(false);
    w.heard(4001);
    expect(firstSilent(w, 4100, 5400)).toBeNull();
  });

  it('still says silent when the gateway stays silent after the page is running again', () => {
    const w = silenceWatch({ timeoutMs: TIMEOUT, tickMs: TICK, nowMs: 0 });
    w.heard(900);
    expect(firstSilent(w, 100, 1000)).toBeNull();
    // blocked 1000–4000: of that only the tick's own period (100 ms) counts as silence
    expect(w.tick(4000)).toBe(false);
    // 100 ms heard-to-block + 100 ms + 1,300 ms of running page = 1,500 ms
    expect(firstSilent(w, 4100, 8000)).toBe(5300);
  });

  it('tolerates ticks a little late (timer jitter) without crediting them', () => {
    const w = silenceWatch({ timeoutMs: TIMEOUT, tickMs: TICK, nowMs: 0 });
    let t = 0;
    let silentAt: number | null = null;
    while (silentAt === null && t < 5000) {
      t += TICK + 60; // 60 ms late every time: under one period
      if (w.tick(t)) silentAt = t;
    }
    expect(silentAt).toBe(1600);
  });
});
