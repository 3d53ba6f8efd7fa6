/**
 * Coalesces live updates per tenant into one batch per tick: the latest state per unit (a newer seq
 * replaces an older one) and every stage change in arrival order (never merged or dropped).
 */
import type { ControlBatch, StageChange, UnitLive } from '@lagebild/protocol';

interface Pending {
  units: Map<string, UnitLive>;
  stageChanges: StageChange[];
}

export interface Coalescer {
  add(tenantId: string, unit: UnitLive, change?: StageChange): void;
  /** emits what is pending now; called by the timer, and by tests */
  flush(): void;
  pendingTenants(): number;
  stop(): void;
}

export function createCoalescer(opts: {
  intervalMs: number;
  emit: (tenantId: string, batch: ControlBatch) => void;
  now?: () => number;
}): Coalescer {
  const now = opts.now ?? Date.now;
  let pending = new Map<string, Pending>();
  const flush = () => {
    if (pending.size === 0) return;
    const ready = pending;
    pending = new Map();
    const serverTime = now();
    for (const [tenantId, p] of ready) {
      opts.emit(tenantId, { serverTime, units: [...p.units.values()], stageChanges: p.stageChanges });
    }
  };
  const timer = setInterval(flush, opts.intervalMs);
  timer.unref();
  return {
    add(tenantId, unit, change) {
      let p = pending.get(tenantId);
      if (!p) {
        p = { units: new Map(), stageChanges: [] };
        pending.set(tenantId, p);
      }
      const prev = p.units.get(unit.deviceId);
      // `online` flips (connect/disconnect) carry the same seq and must replace the older entry
      if (!prev || unit.seq >= prev.seq) p.units.set(unit.deviceId, unit);
      if (change) p.stageChanges.push(change);
    },
    flush,
    pendingTenants: () => pending.size,
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
