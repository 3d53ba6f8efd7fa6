/**
 * The `/control` Socket.IO connection. Authentication is the session cookie on the handshake; the
 * gateway refuses with `err.data.code` ('unauthenticated' → sign in again, 'forbidden' → role without
 * live access). Socket.IO reconnects by itself after network failures; each new connection starts
 * with a fresh `snapshot`, so nothing has to be replayed here. A refusal by the middleware is final
 * (`socket.active` is false) and is reported instead of retried.
 *
 * The gateway sends `health` about twice a second. A socket that hears nothing for
 * HEARTBEAT_TIMEOUT_MS is taken as lost (a hung gateway or a dead network path keeps a socket
 * "connected" until Socket.IO's own ping gives up after 20 s): the page says "reconnecting" at once
 * and the socket is reopened, so the load balancer can hand it to another gateway.
 *
 * This file only validates what arrives and passes it on: what each message means for the page is
 * decided in live-session.ts. It runs in the live socket's worker (live-socket.ts) where the browser
 * has workers, else on the page: it touches no `window`.
 */
import {
  Alert,
  ControlBatch,
  type ControlClientToServer,
  type ControlServerToClient,
  ControlSnapshot,
  DispatchRequest,
  describeIssues,
  GatewayHealth,
  Incident,
  IncidentsResponse,
  MediaEvent,
} from '@lagebild/protocol';
import { io, type Socket } from 'socket.io-client';
import type { LiveInput, LiveSession } from './live-session.ts';
import { perfEnd, perfStart } from './perf-marks.ts';
import { silenceWatch } from './silence-watch.ts';

type Parsed<T> = { success: true; data: T } | { success: false; error: Parameters<typeof describeIssues>[0] };
type Schema<T> = { safeParse(msg: unknown): Parsed<T> };

/** how long to wait before retrying a connection the server refused for a passing reason */
const RETRY_REFUSED_MS = 5000;
/**
 * no message for this long: the gateway is lost (it sends `health` every 500 ms, so three in a row
 * are missing); with the watchdog's tick the page says "reconnecting" at most 1.6 s after the
 * gateway's last message, within issue 14's 2 s, counting the time the page itself was running
 */
export const HEARTBEAT_TIMEOUT_MS = 1500;
const WATCHDOG_TICK_MS = 100;

export function connectLive(session: Pick<LiveSession, 'apply'>): () => void {
  const socket: Socket<ControlServerToClient, ControlClientToServer> = io('/control', {
    withCredentials: true,
    transports: ['websocket'],
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10_000,
  });
  let closed = false;

  /** Validates each `event` with its schema and applies it; a message that does not fit is logged. */
  function forward<T>(
    event: keyof ControlServerToClient,
    schema: Schema<T>,
    toInput: (data: T) => LiveInput,
  ) {
    socket.on(event, (msg: unknown) => {
      const started = event === 'batch' || event === 'snapshot' ? perfStart() : 0;
      const parsed = schema.safeParse(msg);
      if (parsed.success) session.apply(toInput(parsed.data));
      else console.error(`control ${event} rejected`, describeIssues(parsed.error));
      if (started > 0) {
        const units = parsed.success ? (parsed.data as { units?: unknown[] }).units?.length : undefined;
        perfEnd(event === 'batch' ? 'lagebild:batch' : 'lagebild:snapshot', started, { units: units ?? 0 });
      }
    });
  }

  session.apply({ type: 'connecting' });
  socket.on('connect', () => session.apply({ type: 'connected' }));
  forward('snapshot', ControlSnapshot, (msg) => ({ type: 'snapshot', msg }));
  forward('batch', ControlBatch, (msg) => ({ type: 'batch', msg }));
  // incidents, alerts and backup requests (issue 7): `incidents` once after `snapshot`, then upserts
  forward('incidents', IncidentsResponse, (msg) => ({ type: 'incidents', msg }));
  forward('incident', Incident, (incident) => ({ type: 'incident', incident }));
  forward('alert', Alert, (alert) => ({ type: 'alert', alert }));
  forward('dispatch', DispatchRequest, (request) => ({ type: 'dispatch', request }));
  forward('video', MediaEvent, (event) => ({ type: 'video', event }));
  forward('health', GatewayHealth, (msg) => ({ type: 'health', components: msg.components }));

  // silence counts only while the page runs: a page busy for seconds must not drop a working
  // connection whose messages wait behind its own work (silence-watch.ts)
  const silence = silenceWatch({
    timeoutMs: HEARTBEAT_TIMEOUT_MS,
    tickMs: WATCHDOG_TICK_MS,
    nowMs: Date.now(),
  });
  socket.on('connect', () => silence.heard(Date.now()));
  socket.onAny(() => silence.heard(Date.now()));
  const watchdog = globalThis.setInterval(() => {
    const silent = silence.tick(Date.now());
    if (closed || !socket.connected || !silent) return;
    session.apply({ type: 'silent' });
    socket.disconnect();
    socket.connect();
  }, WATCHDOG_TICK_MS);

  socket.on('bye', () => {
    closed = true;
    socket.disconnect();
    session.apply({ type: 'bye' });
  });

  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    if (closed) return;
    const code = err.data?.code;
    if (code === 'unauthenticated' || code === 'forbidden') closed = true;
    session.apply({ type: 'connectError', code, online: navigator.onLine });
    // refused by the server for another reason (e.g. 'unavailable'): retry ourselves, gently
    if (!closed && !socket.active) globalThis.setTimeout(() => !closed && socket.connect(), RETRY_REFUSED_MS);
  });

  socket.on('disconnect', (reason) => {
    if (closed) return;
    session.apply({ type: 'disconnected', reason, online: navigator.onLine });
    // the server closed the namespace on purpose (e.g. restart): Socket.IO does not retry that itself
    if (reason === 'io server disconnect') socket.connect();
  });

  const onOnline = () => {
    if (!socket.connected && !closed) socket.connect();
  };
  globalThis.addEventListener('online', onOnline);

  return () => {
    closed = true;
    globalThis.clearInterval(watchdog);
    globalThis.removeEventListener('online', onOnline);
    socket.disconnect();
  };
}
