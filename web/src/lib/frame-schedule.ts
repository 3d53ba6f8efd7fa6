/**
 * When the control room's React side takes a new live frame (components/live/use-live-frame.ts):
 * after a change at most every `throttleMs`, and every `tickMs` so ages and fading move on. A tick
 * that falls while a change's frame is already due is folded into that frame instead of being a
 * render of its own: under a steady stream of batches the 10,000-unit list was rendered three times
 * a second (two changes, one tick), now twice (issue 17, bench:map); a quiet page still ticks every
 * `tickMs`.
 */
export interface FrameRequest {
  /** the units changed: take a new copy of them */
  units: boolean;
  /** a tick passed: advance the frame's tick count */
  tick: boolean;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
  setInterval(fn: () => void, ms: number): number;
  clearInterval(id: number): void;
}

export function createFrameSchedule(opts: {
  throttleMs: number;
  tickMs: number;
  take(request: FrameRequest): void;
  timers?: Timers;
}): { changed(): void; dispose(): void } {
  const timers: Timers = opts.timers ?? {
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (id) => window.clearTimeout(id),
    setInterval: (fn, ms) => window.setInterval(fn, ms),
    clearInterval: (id) => window.clearInterval(id),
  };
  let pending: number | null = null;
  let tickDue = false;
  const flush = () => {
    pending = null;
    const tick = tickDue;
    tickDue = false;
    opts.take({ units: true, tick });
  };
  const ticker = timers.setInterval(() => {
    if (pending !== null) tickDue = true;
    else opts.take({ units: false, tick: true });
  }, opts.tickMs);
  return {
    changed(): void {
      if (pending === null) pending = timers.setTimeout(flush, opts.throttleMs);
    },
    dispose(): void {
      if (pending !== null) timers.clearTimeout(pending);
      pending = null;
      timers.clearInterval(ticker);
    },
  };
}
