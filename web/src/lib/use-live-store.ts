/**
 * React view of the live store. Batches arrive ten times a second; the list, counts and event log
 * do not need that rate (the canvas map reads the store directly), so React re-renders at most every
 * `intervalMs`, plus once a second anyway so ages ("vor 12 s") and fading keep moving.
 */
import { useEffect, useState } from 'react';
import type { LiveStore } from './live-store.ts';

export function useThrottledVersion(store: LiveStore, intervalMs = 500): number {
  const [version, setVersion] = useState(() => store.getVersion());
  useEffect(() => {
    let timer: number | null = null;
    const flush = () => {
      timer = null;
      setVersion(store.getVersion());
    };
    const unsubscribe = store.subscribe(() => {
      if (timer === null) timer = window.setTimeout(flush, intervalMs);
    });
    return () => {
      unsubscribe();
      if (timer !== null) window.clearTimeout(timer);
    };
  }, [store, intervalMs]);
  return version;
}

/** A counter that increases every `intervalMs`, to re-render time-dependent text. */
export function useTick(intervalMs = 1000): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => setTick((n) => n + 1), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return tick;
}
