import { describe, expect, it } from 'vitest';
import { TimerWheel } from './timer-wheel.ts';

function member() {
  const ticks: number[] = [];
  return { ticks, tick: (now: number) => ticks.push(now) };
}

describe('TimerWheel', () => {
  it('services every member once per period, spread across the period', () => {
    let now = 0;
    const wheel = new TimerWheel({ periodMs: 1000, slotMs: 100, now: () => now });
    expect(wheel.slots).toBe(10);
    const members = Array.from({ length: 25 }, member);
    for (const m of members) wheel.add(m);
    wheel.start();
    const perStep: number[] = [];
    for (let t = 100; t <= 3000; t += 100) {
      now = t;
      const before = members.reduce((n, m) => n + m.ticks.length, 0);
      wheel.runDue();
      perStep.push(members.reduce((n, m) => n + m.ticks.length, 0) - before);
    }
    wheel.stop();
    for (const m of members) expect(m.ticks.length).toBe(3);
    // 25 members over 10 slots: 2 or 3 per slot, never all at once
    expect(Math.max(...perStep)).toBeLessThanOrEqual(3);
    // consecutive services of one member are one period apart
    const first = members[0]!.ticks;
    expect(first[1]! - first[0]!).toBe(1000);
  });

  it('catches up after a stall but at most one period at once', () => {
    let now = 0;
    const wheel = new TimerWheel({ periodMs: 1000, slotMs: 100, now: () => now });
    const m = member();
    wheel.add(m);
    wheel.start();
    now = 10_000; // the event loop was blocked for 10 s
    wheel.runDue();
    wheel.stop();
    expect(m.ticks).toEqual([10_000]);
  });

  it('calls afterTick on every firing and supports removal', () => {
    let now = 0;
    const calls: number[] = [];
    const wheel = new TimerWheel({
      periodMs: 200,
      slotMs: 100,
      now: () => now,
      afterTick: (t) => calls.push(t),
    });
    const a = member();
    const b = member();
    wheel.add(a);
    wheel.add(b);
    wheel.remove(a);
    expect(wheel.size).toBe(1);
    wheel.start();
    now = 200;
    wheel.runDue();
    now = 400;
    wheel.runDue();
    wheel.stop();
    expect(a.ticks).toEqual([]);
    expect(b.ticks).toEqual([200, 400]);
    expect(calls).toEqual([200, 400]);
  });

  it('runs on a real interval', async () => {
    const wheel = new TimerWheel({ periodMs: 50, slotMs: 10 });
    const m = member();
    wheel.add(m);
    wheel.start();
    await new Promise((r) => setTimeout(r, 180));
    wheel.stop();
    expect(m.ticks.length).toBeGreaterThanOrEqual(2);
  });
});
