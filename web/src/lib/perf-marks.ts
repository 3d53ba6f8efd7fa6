/**
 * Optional User Timing measures for `npm run bench:map` (issue 17): where the page applies a status
 * batch and where the map draws its units. Off unless the page was opened with
 * `window.__LAGEBILD_PERF__ = true` (the benchmark sets it before any script runs), so a control room
 * running a whole shift never fills the performance timeline with entries.
 */
declare global {
  interface Window {
    __LAGEBILD_PERF__?: boolean;
  }
}

/**
 * `lagebild:snapshot` is a snapshot applied (one per (re)connect: a page that keeps reconnecting
 * receives few batches); `lagebild:units-draw` is the main thread's part of a units redraw (on the page: all of it; with the
 * drawing worker: choosing, placing and posting the units); `lagebild:units-raster` the worker's
 * (drawing and rasterizing them), reported when its bitmap arrives.
 */
export type PerfMeasure =
  | 'lagebild:batch'
  | 'lagebild:snapshot'
  | 'lagebild:units-draw'
  | 'lagebild:units-raster';

/**
 * whether the page measures; `globalThis`, not `window`: the live socket's worker runs code that
 * calls these (and the bundler takes `typeof window` for "object"), and never measures
 */
const measuring = (): boolean => (globalThis as { __LAGEBILD_PERF__?: boolean }).__LAGEBILD_PERF__ === true;

/** performance.now() when measuring, else 0 (pass it to `perfEnd`) */
export function perfStart(): number {
  return measuring() ? performance.now() : 0;
}

/** `detail` travels with the measure (the benchmark reads how many units a batch carried) */
export function perfEnd(name: PerfMeasure, start: number, detail?: Record<string, number>): void {
  if (start > 0) performance.measure(name, { start, end: performance.now(), detail });
}

/** a duration measured elsewhere (the drawing worker), ending now */
export function perfMeasure(name: PerfMeasure, durationMs: number): void {
  if (!measuring()) return;
  const end = performance.now();
  performance.measure(name, { start: Math.max(0, end - durationMs), end });
}
