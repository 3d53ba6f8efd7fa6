/**
 * The browser's picture of the tenant's live units, fed by the `/control` socket: one `snapshot` on
 * (re)connect, then `batch` messages every ~100 ms. Units are kept in a Map keyed by deviceId. Each
 * device numbers its statuses (`seq`); an update older than what we hold is ignored, so a late or
 * replayed message can never move a unit backwards on the map.
 *
 * The store is framework-free: React subscribes through `subscribe`/`getVersion`
 * (useSyncExternalStore), the canvas map layer reads `units` directly on its animation frame.
 */
import type { ControlBatch, ControlSnapshot, StageChange, UnitLive } from '@lagebild/protocol';
import { isOnDuty } from './on-duty.ts';
import { createServerClock, type ServerClock } from './staleness.ts';
import { collateLabels, createUnitOrder } from './unit-order.ts';

export type LiveEventKind =
  | 'display'
  | 'recording'
  | 'recordingUnannounced'
  | 'recordingStopped'
  | 'standby'
  | 'emergency'
  | 'emergencyCleared';

export interface LiveEvent {
  /** unique and stable, for React keys */
  id: string;
  deviceId: string;
  unitId: string | null;
  kind: LiveEventKind;
  /** gateway clock */
  at: number;
  reason: string | null;
}

export interface MergeResult {
  /** deviceIds whose state was replaced */
  changed: string[];
  emergenciesRaised: UnitLive[];
  emergenciesCleared: UnitLive[];
}

/**
 * Merges `incoming` into `units` in place. An update whose seq is lower than the one held is
 * dropped; an equal seq is accepted because the gateway re-sends a unit with the same seq when only
 * its `online` flag changed.
 */
export function mergeUnits(
  units: Map<string, UnitLive>,
  incoming: readonly UnitLive[],
  onChange?: (prev: UnitLive | undefined, next: UnitLive) => void,
): MergeResult {
  const result: MergeResult = { changed: [], emergenciesRaised: [], emergenciesCleared: [] };
  for (const next of incoming) {
    const prev = units.get(next.deviceId);
    if (prev && next.seq < prev.seq) continue;
    units.set(next.deviceId, next);
    onChange?.(prev, next);
    result.changed.push(next.deviceId);
    if (prev && !prev.emergency && next.emergency) result.emergenciesRaised.push(next);
    if (prev?.emergency && !next.emergency) result.emergenciesCleared.push(next);
  }
  return result;
}

/**
 * A snapshot is the whole truth after a (re)connect: units missing from it went off shift and are
 * dropped. For units we already hold with a newer seq (a batch overtook the snapshot) we keep ours.
 */
export function replaceWithSnapshot(
  units: Map<string, UnitLive>,
  snapshot: readonly UnitLive[],
): MergeResult {
  const previous = new Map(units);
  units.clear();
  for (const unit of snapshot) {
    const prev = previous.get(unit.deviceId);
    units.set(unit.deviceId, prev && prev.seq > unit.seq ? prev : unit);
  }
  const result: MergeResult = { changed: [...units.keys()], emergenciesRaised: [], emergenciesCleared: [] };
  for (const unit of units.values()) {
    const prev = previous.get(unit.deviceId);
    // emergencies raised while we were disconnected still deserve an event
    if (prev && !prev.emergency && unit.emergency) result.emergenciesRaised.push(unit);
    if (prev?.emergency && !unit.emergency) result.emergenciesCleared.push(unit);
  }
  return result;
}

export function eventKindOf(change: Pick<StageChange, 'from' | 'to' | 'announced'>): LiveEventKind {
  if (change.to === 'recording') return change.announced === false ? 'recordingUnannounced' : 'recording';
  if (change.to === 'display') return change.from === 'recording' ? 'recordingStopped' : 'display';
  return change.from === 'recording' ? 'recordingStopped' : 'standby';
}

export const MAX_EVENTS = 200;

/**
 * What React shows of the units, kept per change (issue 17, bench:map): the on-duty units in the
 * list's order (unit-order.ts), the cameras without a shift, the emergencies and the teams. At
 * 10,000 units, copying, filtering and sorting every unit for each of React's frames was most of the
 * main thread's time per batch; a batch changes a few hundred units and rarely what the order
 * depends on.
 */
export function createUnitIndex() {
  const order = createUnitOrder();
  const offDuty = new Map<string, UnitLive>();
  const emergencies = new Map<string, UnitLive>();
  /** each unit's place in the store's Map (first seen since the last snapshot): the banner's order */
  const ordinals = new Map<string, number>();
  let nextOrdinal = 0;
  const teamCounts = new Map<string, number>();
  let teams: readonly string[] | null = null;

  function countTeam(team: string | null, by: number): void {
    if (team === null) return;
    const count = (teamCounts.get(team) ?? 0) + by;
    if (count > 0) teamCounts.set(team, count);
    else teamCounts.delete(team);
    if ((count === 1 && by > 0) || count === 0) teams = null;
  }

  function add(prev: UnitLive | undefined, next: UnitLive): void {
    if (!ordinals.has(next.deviceId)) ordinals.set(next.deviceId, nextOrdinal++);
    const prevTeam = prev && isOnDuty(prev) ? prev.team : null;
    const nextTeam = isOnDuty(next) ? next.team : null;
    if (prevTeam !== nextTeam) {
      countTeam(prevTeam, -1);
      countTeam(nextTeam, 1);
    }
    if (isOnDuty(next)) {
      order.upsert(next);
      offDuty.delete(next.deviceId);
    } else {
      order.remove(next.deviceId);
      offDuty.set(next.deviceId, next);
    }
    if (next.emergency) emergencies.set(next.deviceId, next);
    else emergencies.delete(next.deviceId);
  }

  return {
    /** a unit was added or replaced */
    changed: add,
    /** these units and no others, in the store's order */
    reset(units: Iterable<UnitLive>): void {
      const all = [...units];
      offDuty.clear();
      emergencies.clear();
      ordinals.clear();
      nextOrdinal = 0;
      teamCounts.clear();
      teams = null;
      order.reset(all.filter(isOnDuty));
      for (const unit of all) {
        ordinals.set(unit.deviceId, nextOrdinal++);
        if (isOnDuty(unit)) countTeam(unit.team, 1);
        else offDuty.set(unit.deviceId, unit);
        if (unit.emergency) emergencies.set(unit.deviceId, unit);
      }
    },
    /** the units on duty in the list's order (urgency, call sign), a new array */
    onDuty: (): UnitLive[] => order.units(),
    /** the cameras reporting without a shift, in no particular order */
    offDuty: (): UnitLive[] => [...offDuty.values()],
    /** the units in emergency, in the store's order */
    emergencies: (): UnitLive[] =>
      [...emergencies.values()].sort((a, b) => ordinals.get(a.deviceId)! - ordinals.get(b.deviceId)!),
    /** the on-duty units' teams in collation order; the same array until a team comes or goes */
    teams(): readonly string[] {
      teams ??= [...teamCounts.keys()].sort(collateLabels);
      return teams;
    },
  };
}
export type UnitIndex = ReturnType<typeof createUnitIndex>;

export function createLiveStore(options: { clock?: ServerClock; maxEvents?: number } = {}) {
  const units = new Map<string, UnitLive>();
  const index = createUnitIndex();
  const clock = options.clock ?? createServerClock();
  const maxEvents = options.maxEvents ?? MAX_EVENTS;
  /** newest first */
  let events: LiveEvent[] = [];
  /** highest stage-change seq per device already turned into an event */
  const lastEventSeq = new Map<string, number>();
  const listeners = new Set<() => void>();
  const unitListeners = new Set<(units: readonly UnitLive[] | null) => void>();
  /** the units a message replaced, for unitListeners */
  let changedUnits: UnitLive[] = [];
  const indexAndCollect = (prev: UnitLive | undefined, next: UnitLive) => {
    index.changed(prev, next);
    changedUnits.push(next);
  };
  let version = 0;
  let lastMessageAt: number | null = null;

  function notify(): void {
    version += 1;
    for (const listener of listeners) listener();
  }

  /** null: every unit may have changed (a snapshot) */
  function notifyUnits(units: readonly UnitLive[] | null): void {
    if (units?.length === 0) return;
    for (const listener of unitListeners) listener(units);
  }

  function mergeAndCollect(incoming: readonly UnitLive[]): { result: MergeResult; changed: UnitLive[] } {
    changedUnits = [];
    const result = mergeUnits(units, incoming, indexAndCollect);
    const changed = changedUnits;
    changedUnits = [];
    return { result, changed };
  }

  function pushEvents(fresh: LiveEvent[]): void {
    if (fresh.length === 0) return;
    events = [...fresh.reverse(), ...events].slice(0, maxEvents);
  }

  function emergencyEvents(result: MergeResult, at: number): LiveEvent[] {
    const out: LiveEvent[] = [];
    for (const u of result.emergenciesRaised) {
      out.push({
        id: `${u.deviceId}:${u.seq}:sos`,
        deviceId: u.deviceId,
        unitId: u.unitId,
        kind: 'emergency',
        at,
        reason: null,
      });
    }
    for (const u of result.emergenciesCleared) {
      out.push({
        id: `${u.deviceId}:${u.seq}:sos-end`,
        deviceId: u.deviceId,
        unitId: u.unitId,
        kind: 'emergencyCleared',
        at,
        reason: null,
      });
    }
    return out;
  }

  return {
    units: units as ReadonlyMap<string, UnitLive>,
    /** the units as the list shows them, kept per change */
    index: index as Omit<UnitIndex, 'changed' | 'reset'>,
    clock,
    getVersion: () => version,
    getEvents: (): readonly LiveEvent[] => events,
    /** browser time of the last snapshot or batch, null before the first one */
    getLastMessageAt: () => lastMessageAt,
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /**
     * Called with the units each message replaced, or null after a snapshot (read `units`): what the
     * map's drawing worker keeps its copy of the units by (map/unit-mirror.ts).
     */
    subscribeUnits(listener: (units: readonly UnitLive[] | null) => void): () => void {
      unitListeners.add(listener);
      return () => unitListeners.delete(listener);
    },
    applySnapshot(msg: ControlSnapshot): void {
      clock.observe(msg.serverTime);
      lastMessageAt = Date.now();
      const result = replaceWithSnapshot(units, msg.units);
      index.reset(units.values());
      pushEvents(emergencyEvents(result, msg.serverTime));
      notifyUnits(null);
      notify();
    },
    applyBatch(msg: ControlBatch): void {
      clock.observe(msg.serverTime);
      lastMessageAt = Date.now();
      const { result, changed } = mergeAndCollect(msg.units);
      notifyUnits(changed);
      const fresh: LiveEvent[] = [];
      for (const change of msg.stageChanges) {
        const seen = lastEventSeq.get(change.deviceId);
        if (seen !== undefined && change.seq <= seen) continue;
        lastEventSeq.set(change.deviceId, change.seq);
        fresh.push({
          id: `${change.deviceId}:${change.seq}`,
          deviceId: change.deviceId,
          unitId: change.unitId,
          kind: eventKindOf(change),
          at: change.receivedAt,
          reason: change.unannouncedReason,
        });
      }
      fresh.push(...emergencyEvents(result, msg.serverTime));
      pushEvents(fresh);
      if (result.changed.length > 0 || fresh.length > 0) notify();
    },
    /** seeds or refreshes from GET /api/units; never removes units */
    applyUnits(list: readonly UnitLive[]): void {
      const { result, changed } = mergeAndCollect(list);
      notifyUnits(changed);
      if (result.changed.length > 0) notify();
    },
  };
}
export type LiveStore = ReturnType<typeof createLiveStore>;
