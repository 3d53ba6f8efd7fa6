/**
 * Protocol-level clients for tests: an operator (HTTP login + /control socket) and a bare device
 * (/device socket) that sends exactly what a test tells it to.
 */
import {
  type ControlBatch,
  type ControlSnapshot,
  type DeviceStatusInput,
  PROTOCOL_VERSION,
  type StatusAck,
  type UnitLive,
} from '@lagebild/protocol';
import { io, type Socket } from 'socket.io-client';
import { Decoder, Encoder } from 'socket.io-parser';

export interface Operator {
  cookie: string;
  socket: Socket;
  snapshot: Promise<ControlSnapshot>;
  batches: ControlBatch[];
  /** latest state per device from snapshot + batches */
  units: Map<string, UnitLive>;
  /** every other event in arrival order (incidents, incident, alert, dispatch, bye) */
  events: Array<{ event: string; msg: unknown }>;
  waitFor(pred: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): void;
}

export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username} → ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie')!;
  return cookie.split(';')[0]!;
}

/**
 * Polls an async condition until it holds; resolves with how long that took (ms), or rejects naming
 * `what` after `timeoutMs`. The one poll every suite uses instead of sleeping a fixed time.
 */
export async function until(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

export function waitFor(pred: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() > deadline)
        return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

/**
 * A Socket.IO decoder that skips events not named in `keep` before JSON-parsing them. Load tests use
 * it for dashboards that count alerts: many full dashboards in one Node process would measure that
 * process decoding the live stream twenty times over, where each browser decodes it on its own machine.
 * The frames are still received and read; only the parse is skipped.
 */
function selectiveParser(keep: readonly string[]) {
  const prefixes = keep.map((e) => `["${e}"`);
  class SelectiveDecoder extends Decoder {
    override add(obj: unknown): void {
      if (typeof obj === 'string' && obj.startsWith('2')) {
        const at = obj.indexOf('[');
        if (at > 0 && !prefixes.some((p) => obj.startsWith(p, at))) return;
      }
      super.add(obj);
    }
  }
  return { Encoder, Decoder: SelectiveDecoder };
}

export async function connectOperator(
  baseUrl: string,
  cookie: string,
  opts: { onlyEvents?: readonly string[] } = {},
): Promise<Operator> {
  const socket = io(`${baseUrl}/control`, {
    transports: ['websocket'],
    extraHeaders: { cookie },
    reconnection: true,
    ...(opts.onlyEvents ? { parser: selectiveParser(['snapshot', ...opts.onlyEvents]) } : {}),
  });
  const units = new Map<string, UnitLive>();
  const batches: ControlBatch[] = [];
  const snapshot = new Promise<ControlSnapshot>((resolve, reject) => {
    socket.once('snapshot', (s: ControlSnapshot) => resolve(s));
    socket.once('connect_error', reject);
  });
  socket.on('snapshot', (s: ControlSnapshot) => {
    for (const u of s.units) units.set(u.deviceId, u);
  });
  const events: Operator['events'] = [];
  socket.onAny((event: string, msg: unknown) => {
    if (event !== 'batch' && event !== 'snapshot') events.push({ event, msg });
  });
  socket.on('batch', (b: ControlBatch) => {
    batches.push(b);
    for (const u of b.units) {
      const prev = units.get(u.deviceId);
      if (!prev || u.seq >= prev.seq) units.set(u.deviceId, u);
    }
  });
  await snapshot;
  return { cookie, socket, snapshot, batches, units, events, waitFor, close: () => socket.close() };
}

export interface TestDevice {
  socket: Socket;
  send(status: DeviceStatusInput, timeoutMs?: number): Promise<StatusAck>;
  sendRaw(payload: unknown, timeoutMs?: number): Promise<StatusAck>;
  close(): void;
}

export function connectDevice(
  baseUrl: string,
  creds: { deviceId: string; secret: string },
  /**
   * `connectTimeoutMs`: give up (close, reject) when the namespace has not answered by then; a
   * socket.io client waits for the namespace's answer without any timeout of its own
   */
  opts: { reconnection?: boolean; connectTimeoutMs?: number } = {},
): Promise<TestDevice> {
  const socket = io(`${baseUrl}/device`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: opts.reconnection ?? false,
    auth: { deviceId: creds.deviceId, secret: creds.secret, protocol: PROTOCOL_VERSION },
  });
  const sendRaw = (payload: unknown, timeoutMs = 5000) =>
    socket.timeout(timeoutMs).emitWithAck('status', payload) as Promise<StatusAck>;
  return new Promise((resolve, reject) => {
    const timer = opts.connectTimeoutMs
      ? setTimeout(() => {
          socket.close();
          reject(new Error(`/device did not answer the connect within ${opts.connectTimeoutMs} ms`));
        }, opts.connectTimeoutMs)
      : undefined;
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ socket, send: sendRaw, sendRaw, close: () => socket.close() });
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

let clock = Date.now();
/** A valid status with sensible defaults; override what the test is about. */
export function status(seq: number, over: Partial<DeviceStatusInput> = {}): DeviceStatusInput {
  clock += 1000;
  return {
    seq,
    at: clock,
    position: { lat: 51.4318 + seq * 1e-5, lng: 6.7626, accuracyM: 5 },
    headingDeg: 90,
    speedMps: 1.3,
    batteryPct: 90,
    signalBars: 3,
    network: 'lte',
    stage: 'standby',
    announced: null,
    unannouncedReason: null,
    emergency: false,
    ...over,
  };
}
