/**
 * The live units as React renders them. Batches arrive ten times a second; the list, counts and
 * event log do not need that rate (the canvas map reads the store directly), so a new frame is taken
 * at most every `throttleMs` after a change, and every `tickMs` anyway so ages ("vor 12 s") and
 * fading keep moving; a tick while a change's frame is due is folded into it (lib/frame-schedule.ts).
 * Each frame is a value: what depends on it lists it as a dependency. The store keeps the list's
 * order and the other views per change, so taking a frame copies no more than the list (issue 17).
 */
import type { UnitLive } from '@lagebild/protocol';
import { useEffect, useState } from 'react';
import { createFrameSchedule } from '@/lib/frame-schedule';
import type { LiveEvent, LiveStore } from '@/lib/live-store';

export interface LiveFrame {
  /** the units on duty in the list's order (urgency, call sign), kept per change by the store */
  onDuty: readonly UnitLive[];
  /** the cameras reporting without a shift, unordered */
  offDuty: readonly UnitLive[];
  /** the units in emergency */
  emergencies: readonly UnitLive[];
  /** the on-duty units' teams in order; the same array while no team comes or goes */
  teams: readonly string[];
  /** newest first */
  events: readonly LiveEvent[];
  /** the gateway's clock when the frame was taken */
  serverNowMs: number;
  /** counts the ticks, for what must move with time alone */
  tick: number;
}

function frameOf(store: LiveStore, tick: number): LiveFrame {
  return {
    onDuty: store.index.onDuty(),
    offDuty: store.index.offDuty(),
    emergencies: store.index.emergencies(),
    teams: store.index.teams(),
    events: store.getEvents(),
    serverNowMs: store.clock.now(),
    tick,
  };
}

export function useLiveFrame(store: LiveStore, throttleMs = 500, tickMs = 1000): LiveFrame {
  const [frame, setFrame] = useState(() => frameOf(store, 0));
  useEffect(() => {
    const schedule = createFrameSchedule({
      throttleMs,
      tickMs,
      take: ({ units, tick }) =>
        setFrame((prev) => {
          const next = prev.tick + (tick ? 1 : 0);
          // a tick alone keeps the units (and what is computed from them) as they are
          return units ? frameOf(store, next) : { ...prev, serverNowMs: store.clock.now(), tick: next };
        }),
    });
    const unsubscribe = store.subscribe(() => schedule.changed());
    return () => {
      unsubscribe();
      schedule.dispose();
    };
  }, [store, throttleMs, tickMs]);
  return frame;
}
