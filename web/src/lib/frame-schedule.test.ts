import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFrameSchedule, type FrameRequest, type Timers } from './frame-schedule.ts';

const timers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
  clearTimeout: (id) => clearTimeout(id),
  setInterval: (fn, ms) => setInterval(fn, ms) as unknown as number,
  clearInterval: (id) => clearInterval(id),
};

describe('createFrameSchedule()', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('takes a frame at most every throttleMs under a stream of changes, with the ticks folded in', () => {
    const frames: FrameRequest[] = [];
    const schedule = createFrameSchedule({
      throttleMs: 500,
      tickMs: 1000,
      take: (r) => frames.push(r),
      timers,
    });
    // a batch every 100 ms for 10 s
    for (let t = 0; t < 10_000; t += 100) {
      schedule.changed();
      vi.advanceTimersByTime(100);
    }
    // 20 frames of changes and no frame for a tick alone (it was 20 + 10 renders before)
    expect(frames).toHaveLength(20);
    expect(frames.every((f) => f.units)).toBe(true);
    // every tick still advanced a frame's tick count
    expect(frames.filter((f) => f.tick)).toHaveLength(10);
    schedule.dispose();
  });

  it('ticks every tickMs on a quiet page, and a change alone waits throttleMs', () => {
    const frames: FrameRequest[] = [];
    const schedule = createFrameSchedule({
      throttleMs: 500,
      tickMs: 1000,
      take: (r) => frames.push(r),
      timers,
    });
    vi.advanceTimersByTime(3000);
    expect(frames).toEqual([
      { units: false, tick: true },
      { units: false, tick: true },
      { units: false, tick: true },
    ]);
    schedule.changed();
    schedule.changed();
    vi.advanceTimersByTime(499);
    expect(frames).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(frames[3]).toEqual({ units: true, tick: false });
    schedule.dispose();
    vi.advanceTimersByTime(5000);
    expect(frames).toHaveLength(4);
  });
});
