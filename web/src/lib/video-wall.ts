/**
 * The video wall's rules as pure functions: which tiles are open and in which order, the layout
 * (1, 4 or 9 tiles), which live streams a tile may open by itself and with which reason.
 *
 * A tile opens by itself when a unit starts streaming and an incident of that unit is open (the
 * recording or emergency incident the gateway opens with the alert): that incident is the reason of
 * the watch (§ 76 BDSG). Any other stream is opened by hand and asks for a reason first. A tile the
 * user closed does not reopen for the same incident. Tiles beyond the layout stay open but hidden
 * (the SFU pauses them) and are listed beside the wall to swap in.
 */
import type { Alert, Incident, LiveStream, VideoEvent, WatchReason } from '@lagebild/protocol';

export const LAYOUTS = [1, 4, 9] as const;
export type WallLayout = (typeof LAYOUTS)[number];
export const MAX_TILES = 9;
/** a stream that came up waits this long for its incident before it counts as not auto-opening */
export const AUTO_OPEN_WAIT_MS = 10_000;

export interface WallTile {
  deviceId: string;
  reason: WatchReason;
  openedAt: number;
  /** opened by itself for an alert (not by the user) */
  auto: boolean;
}

export interface WallState {
  layout: WallLayout;
  tiles: readonly WallTile[];
  /** deviceId → incident the user closed its tile for (no reopening for the same incident) */
  closedFor: ReadonlyMap<string, string | null>;
  /** streams that came up while this page was open and may open a tile once their incident is known */
  pendingAuto: ReadonlyMap<string, number>;
}

export const EMPTY_WALL: WallState = {
  layout: 1,
  tiles: [],
  closedFor: new Map(),
  pendingAuto: new Map(),
};

/** The smallest layout that shows `n` tiles. */
export function layoutFor(n: number): WallLayout {
  return LAYOUTS.find((l) => l >= n) ?? 9;
}

/** Tiles in view and tiles beyond the layout (hidden, paused). */
export function visibleTiles(state: WallState): { shown: WallTile[]; hidden: WallTile[] } {
  return { shown: state.tiles.slice(0, state.layout), hidden: state.tiles.slice(state.layout) };
}

/**
 * Opens a tile unless the unit has one. The layout grows so the new tile is seen with the others
 * (1 → 4 → 9); a full wall (9) takes no more tiles (the alert is still on screen).
 */
export function openTile(state: WallState, tile: WallTile): WallState {
  const existing = state.tiles.find((t) => t.deviceId === tile.deviceId);
  if (existing) return state;
  if (state.tiles.length >= MAX_TILES) return state;
  const tiles = tile.auto ? [...state.tiles, tile] : [tile, ...state.tiles];
  const closedFor = new Map(state.closedFor);
  closedFor.delete(tile.deviceId);
  const pendingAuto = new Map(state.pendingAuto);
  pendingAuto.delete(tile.deviceId);
  const layout = tiles.length > state.layout ? layoutFor(tiles.length) : state.layout;
  return { ...state, tiles, layout, closedFor, pendingAuto };
}

export function closeTile(state: WallState, deviceId: string): WallState {
  const tile = state.tiles.find((t) => t.deviceId === deviceId);
  if (!tile) return state;
  const closedFor = new Map(state.closedFor);
  closedFor.set(deviceId, tile.reason.incidentId ?? null);
  return { ...state, tiles: state.tiles.filter((t) => t !== tile), closedFor };
}

/** Moves a tile to the front (into view). */
export function bringToFront(state: WallState, deviceId: string): WallState {
  const tile = state.tiles.find((t) => t.deviceId === deviceId);
  if (!tile) return state;
  return { ...state, tiles: [tile, ...state.tiles.filter((t) => t !== tile)] };
}

export function setLayout(state: WallState, layout: WallLayout): WallState {
  return { ...state, layout };
}

/** A `video` event: a stream that came up becomes a candidate for a tile of its own. */
export function noteVideoEvent(state: WallState, e: VideoEvent, nowMs: number): WallState {
  if (e.type !== 'producer_up') return state;
  if (state.tiles.some((t) => t.deviceId === e.deviceId)) return state;
  const pendingAuto = new Map(state.pendingAuto);
  pendingAuto.set(e.deviceId, nowMs);
  return { ...state, pendingAuto };
}

/**
 * The incident a watch of this unit serves, if any: the unit's open incident with an unacknowledged
 * alert first, else its newest open incident.
 */
export function incidentFor(
  deviceId: string,
  incidents: Iterable<Incident>,
  alerts: Iterable<Alert>,
): Incident | null {
  const open = [...incidents].filter((i) => i.deviceId === deviceId && i.status === 'open');
  if (open.length === 0) return null;
  const alerting = new Set([...alerts].filter((a) => a.acknowledgedAt === null).map((a) => a.incidentId));
  open.sort((a, b) => Number(alerting.has(b.id)) - Number(alerting.has(a.id)) || b.openedAt - a.openedAt);
  return open[0] ?? null;
}

export function incidentReason(incident: Incident): WatchReason {
  return { kind: 'incident', incidentId: incident.id };
}

/**
 * Pending streams whose incident is now known open their tile; those that waited too long, or
 * whose stream is gone, drop out (they can still be opened by hand, with a reason).
 */
export function applyAutoOpen(
  state: WallState,
  live: ReadonlyMap<string, LiveStream>,
  incidents: Iterable<Incident>,
  alerts: Iterable<Alert>,
  nowMs: number,
): WallState {
  if (state.pendingAuto.size === 0) return state;
  const incidentList = [...incidents];
  const alertList = [...alerts];
  let next = state;
  for (const [deviceId, since] of state.pendingAuto) {
    const incident = live.has(deviceId) ? incidentFor(deviceId, incidentList, alertList) : null;
    const closedForThis = incident && next.closedFor.get(deviceId) === incident.id;
    if (incident && !closedForThis) {
      next = openTile(next, {
        deviceId,
        reason: incidentReason(incident),
        openedAt: nowMs,
        auto: true,
      });
    }
    if (incident || nowMs - since > AUTO_OPEN_WAIT_MS || !live.has(deviceId)) {
      const pendingAuto = new Map(next.pendingAuto);
      pendingAuto.delete(deviceId);
      next = { ...next, pendingAuto };
    }
  }
  return next;
}

const STREAM_ENDS: ReadonlySet<string> = new Set(['unpublished', 'timeout', 'shutdown', 'revoked']);

/** Keeps the map of live streams in step with `video` events. */
export function applyLiveEvent(
  live: ReadonlyMap<string, LiveStream>,
  e: VideoEvent,
): Map<string, LiveStream> {
  const next = new Map(live);
  if (e.type === 'producer_up') next.set(e.deviceId, e.stream);
  // worker_died and replaced are followed by a new producer_up: the stream stays listed meanwhile
  else if (e.type === 'producer_down' && STREAM_ENDS.has(e.reason)) next.delete(e.deviceId);
  return next;
}
