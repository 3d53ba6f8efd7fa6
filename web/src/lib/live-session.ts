/**
 * Everything the map page knows live, in one external store: the units (live-store.ts), the
 * incidents with their alerts and dispatch requests (incident-store.ts), the state of the `/control`
 * connection, and the `video` events for the wall. Every input, whether a socket message (validated
 * at the socket, live-connection.ts), an HTTP seed or a connection event, goes through `apply`, so a
 * test feeds a sequence of inputs and reads the state that results, with no socket and no React.
 *
 * Units and incidents stay mutable maps because the canvas map layers read them on every animation
 * frame. The connection status is an immutable value (`reduceConnection`), and the incident view a
 * value cached per store version, so React reads both with useSyncExternalStore.
 */
import type {
  Alert,
  ComponentHealth,
  ControlBatch,
  ControlSnapshot,
  DispatchRequest,
  Incident,
  IncidentsResponse,
  MediaEvent,
  UnitLive,
  VideoEvent,
} from '@lagebild/protocol';
import { createIncidentStore } from './incident-store.ts';
import { type IncidentView, incidentViewOf } from './live-incident-view.ts';
import { createLiveStore } from './live-store.ts';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** why the page stops being live: 'signedOut' goes to the login page, 'forbidden' shows a notice */
export type SessionEnd = 'signedOut' | 'forbidden';

export interface ConnectionStatus {
  state: ConnectionState;
  /** browser time the picture stopped being live after it had been; null while live or never live */
  downSince: number | null;
  /** a snapshot arrived once: a later loss is 'reconnecting', not 'connecting' */
  wasLive: boolean;
  /** failed connection attempts in a row, reset by a snapshot */
  failedAttempts: number;
  ended: SessionEnd | null;
  /** the gateway's components as it last said (health.ts); emptied when the picture stops being live,
   * so a stale "all well" is never shown */
  health: readonly ComponentHealth[];
}

export type LiveInput =
  /** a socket was opened */
  | { type: 'connecting' }
  /** the socket is connected; its snapshots follow */
  | { type: 'connected' }
  | { type: 'snapshot'; msg: ControlSnapshot }
  | { type: 'batch'; msg: ControlBatch }
  | { type: 'incidents'; msg: IncidentsResponse }
  | { type: 'incident'; incident: Incident }
  | { type: 'alert'; alert: Alert }
  | { type: 'dispatch'; request: DispatchRequest }
  | { type: 'video'; event: MediaEvent }
  /** the gateway ended the session (logout, expiry, user disabled) */
  | { type: 'bye' }
  /** the gateway's component health, about twice a second: also the heartbeat */
  | { type: 'health'; components: readonly ComponentHealth[] }
  /** nothing arrived for HEARTBEAT_TIMEOUT_MS: the gateway is lost even if the socket looks open */
  | { type: 'silent' }
  /** a connection attempt failed; `code` is the middleware's refusal, if it refused */
  | { type: 'connectError'; code: string | undefined; online: boolean }
  | { type: 'disconnected'; reason: string; online: boolean }
  /** GET /api/units, so the list is not empty while the socket connects; never removes units */
  | { type: 'seedUnits'; units: readonly UnitLive[] }
  /** GET /api/incidents; ignored once the socket's `incidents` snapshot has come */
  | { type: 'seedIncidents'; msg: IncidentsResponse }
  /** an HTTP seed failed with this error code */
  | { type: 'seedFailed'; code: string };

/** After this many failed attempts in a row we call it offline (Socket.IO keeps trying). */
export const OFFLINE_AFTER_ATTEMPTS = 3;

export const INITIAL_CONNECTION: ConnectionStatus = {
  state: 'connecting',
  downSince: null,
  wasLive: false,
  failedAttempts: 0,
  ended: null,
  health: [],
};

const sameHealth = (a: readonly ComponentHealth[], b: readonly ComponentHealth[]) =>
  a.length === b.length &&
  a.every(
    (h, i) =>
      h.component === b[i]?.component &&
      h.degraded === b[i]?.degraded &&
      h.reason === b[i]?.reason &&
      h.since === b[i]?.since,
  );

function endFor(code: string | undefined): SessionEnd | null {
  if (code === 'unauthenticated') return 'signedOut';
  if (code === 'forbidden') return 'forbidden';
  return null;
}

function end(status: ConnectionStatus, ended: SessionEnd | null): ConnectionStatus {
  return ended ? { ...status, ended } : status;
}

function withState(status: ConnectionStatus, state: ConnectionState, nowMs: number): ConnectionStatus {
  const downSince = state === 'live' ? null : status.wasLive ? (status.downSince ?? nowMs) : null;
  const health = state === 'live' ? status.health : [];
  if (state === status.state && downSince === status.downSince && health === status.health) return status;
  return { ...status, state, downSince, health };
}

/**
 * The connection status after one input; the same object when nothing changed. An ended session
 * stays ended, except that signing out outranks a refusal (the login page is the way on from both).
 */
export function reduceConnection(
  status: ConnectionStatus,
  input: LiveInput,
  nowMs: number,
): ConnectionStatus {
  if (status.ended === 'signedOut') return status;
  if (status.ended === 'forbidden') {
    const signedOut = input.type === 'bye' || ('code' in input && endFor(input.code) === 'signedOut');
    return signedOut ? { ...status, ended: 'signedOut' } : status;
  }
  switch (input.type) {
    case 'connecting':
      return withState(status, 'connecting', nowMs);
    case 'snapshot':
      return withState({ ...status, wasLive: true, failedAttempts: 0 }, 'live', nowMs);
    case 'bye':
      return end(status, 'signedOut');
    case 'seedFailed':
      return end(status, endFor(input.code));
    case 'connectError': {
      const ended = endFor(input.code);
      if (ended) return end(status, ended);
      const failedAttempts = status.failedAttempts + 1;
      const offline = failedAttempts >= OFFLINE_AFTER_ATTEMPTS || !input.online;
      const state = offline ? 'offline' : status.wasLive ? 'reconnecting' : 'connecting';
      return withState({ ...status, failedAttempts }, state, nowMs);
    }
    case 'health':
      if (status.state !== 'live' || sameHealth(status.health, input.components)) return status;
      return { ...status, health: input.components };
    case 'silent':
      return status.state === 'live' ? withState(status, 'reconnecting', nowMs) : status;
    case 'disconnected':
      if (input.reason === 'io client disconnect') return status;
      return withState(status, input.online ? 'reconnecting' : 'offline', nowMs);
    default:
      return status;
  }
}

/** Consumer events are audit only; dashboards act on streams going up or down and router resets. */
export function isVideoEvent(event: MediaEvent): event is VideoEvent {
  return event.type === 'producer_up' || event.type === 'producer_down' || event.type === 'router_reset';
}

export function createLiveSession(options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const unitStore = createLiveStore();
  const incidentStore = createIncidentStore({ now });
  let status = INITIAL_CONNECTION;
  let incidentView: IncidentView = incidentViewOf(incidentStore);
  const statusListeners = new Set<() => void>();
  const videoListeners = new Set<(event: VideoEvent) => void>();

  function applyToStores(input: LiveInput): void {
    switch (input.type) {
      case 'connected':
        incidentStore.connectionStarted();
        return;
      case 'snapshot':
        unitStore.applySnapshot(input.msg);
        return;
      case 'batch':
        unitStore.applyBatch(input.msg);
        return;
      case 'seedUnits':
        unitStore.applyUnits(input.units);
        return;
      case 'incidents':
        incidentStore.applySnapshot(input.msg);
        return;
      case 'seedIncidents':
        if (!incidentStore.isReady()) incidentStore.applySnapshot(input.msg);
        return;
      case 'incident':
        incidentStore.upsertIncident(input.incident);
        return;
      case 'alert':
        incidentStore.upsertAlert(input.alert);
        return;
      case 'dispatch':
        incidentStore.upsertRequest(input.request);
        return;
      case 'video': {
        const event = input.event;
        if (isVideoEvent(event)) for (const listener of videoListeners) listener(event);
        return;
      }
    }
  }

  return {
    unitStore,
    incidentStore,
    apply(input: LiveInput): void {
      applyToStores(input);
      const next = reduceConnection(status, input, now());
      if (next === status) return;
      status = next;
      for (const listener of statusListeners) listener();
    },
    getStatus: (): ConnectionStatus => status,
    subscribeStatus(listener: () => void): () => void {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    /** incidents sorted, alerts and requests grouped by incident; a new object after each change */
    getIncidentView(): IncidentView {
      if (incidentView.version !== incidentStore.getVersion()) incidentView = incidentViewOf(incidentStore);
      return incidentView;
    },
    onVideo(listener: (event: VideoEvent) => void): () => void {
      videoListeners.add(listener);
      return () => videoListeners.delete(listener);
    },
  };
}
export type LiveSession = ReturnType<typeof createLiveSession>;
