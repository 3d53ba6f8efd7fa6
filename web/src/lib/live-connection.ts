/**
 * The `/control` Socket.IO connection. Authentication is the session cookie on the handshake; the
 * gateway refuses with `err.data.code` ('unauthenticated' → sign in again, 'forbidden' → role without
 * live access). Socket.IO reconnects by itself after network failures; each new connection starts
 * with a fresh `snapshot`, so nothing has to be replayed here. A refusal by the middleware is final
 * (`socket.active` is false) and is reported instead of retried.
 */
import {
  Alert,
  ControlBatch,
  type ControlClientToServer,
  type ControlServerToClient,
  ControlSnapshot,
  DispatchRequest,
  describeIssues,
  Incident,
  IncidentsResponse,
  MediaEvent,
  type VideoEvent,
} from '@lagebild/protocol';
import { io, type Socket } from 'socket.io-client';
import type { IncidentStore } from './incident-store.ts';
import type { LiveStore } from './live-store.ts';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface LiveConnectionHandlers {
  onState(state: ConnectionState): void;
  /** session gone (expired, logged out elsewhere, `bye`): go to the login page */
  onSignedOut(): void;
  onForbidden(): void;
  /** a unit's live stream went up or down, or the SFU reset it (issue 5: the video wall) */
  onVideo?(event: VideoEvent): void;
}

/** After this many failed attempts in a row we call it offline (Socket.IO keeps trying). */
const OFFLINE_AFTER_ATTEMPTS = 3;

export function connectLive(
  store: LiveStore,
  handlers: LiveConnectionHandlers,
  incidents?: IncidentStore,
): () => void {
  const socket: Socket<ControlServerToClient, ControlClientToServer> = io('/control', {
    withCredentials: true,
    transports: ['websocket'],
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10_000,
  });
  let hadSnapshot = false;
  let failedAttempts = 0;
  let closed = false;

  handlers.onState('connecting');

  socket.on('snapshot', (msg) => {
    const parsed = ControlSnapshot.safeParse(msg);
    if (!parsed.success) {
      console.error('control snapshot rejected', describeIssues(parsed.error));
      return;
    }
    hadSnapshot = true;
    failedAttempts = 0;
    store.applySnapshot(parsed.data);
    handlers.onState('live');
  });

  socket.on('batch', (msg) => {
    const parsed = ControlBatch.safeParse(msg);
    if (!parsed.success) {
      console.error('control batch rejected', describeIssues(parsed.error));
      return;
    }
    store.applyBatch(parsed.data);
  });

  // incidents, alerts and backup requests (issue 7): `incidents` once after `snapshot`, then upserts
  if (incidents) {
    socket.on('connect', () => incidents.connectionStarted());
    socket.on('incidents', (msg) => {
      const parsed = IncidentsResponse.safeParse(msg);
      if (parsed.success) incidents.applySnapshot(parsed.data);
      else console.error('control incidents rejected', describeIssues(parsed.error));
    });
    socket.on('incident', (msg) => {
      const parsed = Incident.safeParse(msg);
      if (parsed.success) incidents.upsertIncident(parsed.data);
      else console.error('control incident rejected', describeIssues(parsed.error));
    });
    socket.on('alert', (msg) => {
      const parsed = Alert.safeParse(msg);
      if (parsed.success) incidents.upsertAlert(parsed.data);
      else console.error('control alert rejected', describeIssues(parsed.error));
    });
    socket.on('dispatch', (msg) => {
      const parsed = DispatchRequest.safeParse(msg);
      if (parsed.success) incidents.upsertRequest(parsed.data);
      else console.error('control dispatch rejected', describeIssues(parsed.error));
    });
  }

  socket.on('video', (msg) => {
    const parsed = MediaEvent.safeParse(msg);
    if (!parsed.success) {
      console.error('control video rejected', describeIssues(parsed.error));
      return;
    }
    const e = parsed.data;
    if (e.type === 'producer_up' || e.type === 'producer_down' || e.type === 'router_reset')
      handlers.onVideo?.(e);
  });

  socket.on('bye', () => {
    closed = true;
    socket.disconnect();
    handlers.onSignedOut();
  });

  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    if (closed) return;
    const code = err.data?.code;
    if (code === 'unauthenticated') {
      closed = true;
      handlers.onSignedOut();
      return;
    }
    if (code === 'forbidden') {
      closed = true;
      handlers.onForbidden();
      return;
    }
    failedAttempts += 1;
    const offline = failedAttempts >= OFFLINE_AFTER_ATTEMPTS || !navigator.onLine;
    handlers.onState(offline ? 'offline' : hadSnapshot ? 'reconnecting' : 'connecting');
    // refused by the server for another reason (e.g. 'unavailable'): retry ourselves, gently
    if (!socket.active) window.setTimeout(() => !closed && socket.connect(), 5000);
  });

  socket.on('disconnect', (reason) => {
    if (closed || reason === 'io client disconnect') return;
    handlers.onState(navigator.onLine ? 'reconnecting' : 'offline');
    // the server closed the namespace on purpose (e.g. restart): Socket.IO does not retry that itself
    if (reason === 'io server disconnect') socket.connect();
  });

  const onOnline = () => {
    if (!socket.connected && !closed) socket.connect();
  };
  window.addEventListener('online', onOnline);

  return () => {
    closed = true;
    window.removeEventListener('online', onOnline);
    socket.disconnect();
  };
}
