/**
 * The state of each watched component and since when it holds, from the gateway's own clock. A
 * component's `since` moves only when it flips between healthy and degraded (a new reason while
 * degraded keeps the time it went down), so "degraded since 10:41" stays true while the cause shifts.
 */
import type { ComponentHealth, DegradedReason, HealthComponent } from '@lagebild/protocol';

export interface ComponentStates {
  /** records one observation; returns true if the component flipped */
  set(component: HealthComponent, reason: DegradedReason | null): boolean;
  list(): ComponentHealth[];
}

export function createComponentStates(
  watched: readonly HealthComponent[],
  now: () => number = Date.now,
): ComponentStates {
  const states = new Map<HealthComponent, ComponentHealth>(
    watched.map((component) => [component, { component, degraded: false, since: now(), reason: null }]),
  );
  return {
    set(component, reason) {
      const cur = states.get(component);
      if (!cur) return false;
      const degraded = reason !== null;
      const flipped = cur.degraded !== degraded;
      if (flipped || cur.reason !== reason)
        states.set(component, { component, degraded, reason, since: flipped ? now() : cur.since });
      return flipped;
    },
    list: () => [...states.values()],
  };
}
