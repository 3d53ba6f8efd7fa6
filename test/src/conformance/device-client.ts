/**
 * The conformance command's device: the few calls a camera makes (Socket.IO `/device`, the plain
 * device WebSocket, the HTTP batch, OsmAnd, the device token), written from docs/device-protocol.md
 * as a vendor would, with nothing of the gateway imported but the protocol's types.
 */
import { PROTOCOL_VERSION, type StatusAck } from '@lagebild/protocol';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';

export interface DeviceTarget {
  /** the gateway's base URL, e.g. https://lagebild.example.de */
  url: string;
  deviceId: string;
  secret: string;
}

export interface HttpAnswer {
  status: number;
  json: { acks?: StatusAck[]; error?: { code: string; message: string; issues?: string[] }; token?: string };
}

async function answer(res: Response): Promise<HttpAnswer> {
  const text = await res.text();
  let json: HttpAnswer['json'] = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: the status says enough
  }
  return { status: res.status, json };
}

export const basicAuth = (deviceId: string, secret: string) =>
  `Basic ${Buffer.from(`${deviceId}:${secret}`).toString('base64')}`;

/** A status event in Duisburg, standby, as D6 describes it. */
export function statusEvent(seq: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seq,
    at: Date.now(),
    position: { lat: 51.4344, lng: 6.7623, accuracyM: 8 },
    headingDeg: null,
    speedMps: 0,
    batteryPct: 80,
    signalBars: 3,
    network: 'lte',
    stage: 'standby',
    announced: null,
    unannouncedReason: null,
    emergency: false,
    ...over,
  };
}

export interface DeviceSocket {
  socket: Socket;
  send(event: unknown, timeoutMs?: number): Promise<StatusAck>;
  close(): void;
}

/** Connects to `/device`; rejects with the `connect_error` (its `data.code` says why). */
export function connect(
  t: DeviceTarget,
  auth: Record<string, unknown> = { deviceId: t.deviceId, secret: t.secret, protocol: PROTOCOL_VERSION },
): Promise<DeviceSocket> {
  const socket = io(`${t.url}/device`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () =>
      resolve({
        socket,
        send: (event, timeoutMs = 10_000) =>
          socket.timeout(timeoutMs).emitWithAck('status', event) as Promise<StatusAck>,
        close: () => socket.close(),
      }),
    );
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** The code a refused handshake carries, or 'connected' if it was not refused. */
export async function handshakeCode(t: DeviceTarget, auth: Record<string, unknown>): Promise<string> {
  try {
    (await connect(t, auth)).close();
    return 'connected';
  } catch (err) {
    return String((err as { data?: { code?: string } }).data?.code ?? (err as Error).message);
  }
}

export async function postBatch(
  t: DeviceTarget,
  authorization: string | null,
  body: unknown,
): Promise<HttpAnswer> {
  return answer(
    await fetch(`${t.url}/api/device/v1/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

/** An OsmAnd report as Traccar Client sends it: POST, the parameters in the query string, no body. */
export async function postOsmAnd(t: DeviceTarget, params: Record<string, string>): Promise<HttpAnswer> {
  const u = new URL('/api/device/v1/osmand', t.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
  return answer(await fetch(u, { method: 'POST' }));
}

export async function deviceToken(t: DeviceTarget, secret = t.secret): Promise<HttpAnswer> {
  return answer(
    await fetch(`${t.url}/api/device/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: t.deviceId, secret }),
    }),
  );
}

/** A device WebSocket (D30–D32): every frame the gateway sent, and requests that await their ack. */
export interface DeviceWs {
  ws: WebSocket;
  frames: Array<{ type: string; ref?: number | null; data?: unknown }>;
  /** sends `{ type, ref, data }` and resolves with the ack's data (or the error frame naming its ref) */
  request(type: string, data: unknown, timeoutMs?: number): Promise<unknown>;
  /** resolves with the close code once the gateway closed it */
  closed: Promise<number>;
  close(): void;
}

/** What a WebSocket upgrade got: its HTTP status, and the error body of a refusal. */
export interface WsRefusal {
  status: number;
  body: HttpAnswer['json'];
}

/** Opens the device WebSocket; rejects with a WsRefusal when the gateway answers the upgrade with an error. */
export function connectWs(
  t: DeviceTarget,
  opts: { authorization?: string | null; protocols?: string[]; path?: string; autoPong?: boolean } = {},
): Promise<DeviceWs> {
  const authorization =
    opts.authorization === undefined ? basicAuth(t.deviceId, t.secret) : opts.authorization;
  const ws = new WebSocket(
    `${t.url.replace(/^http/, 'ws')}${opts.path ?? '/api/device/v1/ws'}`,
    opts.protocols ?? [`lagebild.device.v${PROTOCOL_VERSION}`],
    {
      headers: authorization ? { authorization } : {},
      handshakeTimeout: 10_000,
      // false: answer no ping, as a device whose network is gone
      autoPong: opts.autoPong ?? true,
    },
  );
  const frames: DeviceWs['frames'] = [];
  const waiting = new Map<number, (f: DeviceWs['frames'][number]) => void>();
  let nextRef = 1;
  ws.on('message', (data) => {
    let f: DeviceWs['frames'][number];
    try {
      f = JSON.parse(String(data));
    } catch {
      f = { type: 'not-json' };
    }
    frames.push(f);
    if (typeof f.ref === 'number') waiting.get(f.ref)?.(f);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        frames,
        closed,
        close: () => ws.close(),
        request: (type, data, timeoutMs = 10_000) =>
          new Promise((done, fail) => {
            const ref = nextRef++;
            const timer = setTimeout(
              () => fail(new Error(`no answer to ${type} ref ${ref} in ${timeoutMs} ms`)),
              timeoutMs,
            );
            waiting.set(ref, (f) => {
              clearTimeout(timer);
              done(f.type === 'ack' ? f.data : f);
            });
            ws.send(JSON.stringify({ type, ref, data }));
          }),
      }),
    );
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => {
        let body: HttpAnswer['json'] = {};
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the status says enough
        }
        reject({ status: res.statusCode ?? 0, body } satisfies WsRefusal);
      });
    });
    ws.once('error', reject);
  });
}

/** The HTTP status of a WebSocket upgrade (101 when it connected) and the code of a refusal. */
export async function upgradeAnswer(
  t: DeviceTarget,
  opts: { authorization?: string | null; protocols?: string[] },
): Promise<{ status: number; code: string | null; protocol: string | null }> {
  try {
    const d = await connectWs(t, opts);
    const protocol = d.ws.protocol;
    d.close();
    return { status: 101, code: null, protocol };
  } catch (err) {
    const r = err as WsRefusal;
    if (typeof r.status !== 'number') throw err;
    return { status: r.status, code: r.body.error?.code ?? null, protocol: null };
  }
}
