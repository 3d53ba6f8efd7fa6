/**
 * A simulated camera's connection to the gateway, over either device transport
 * (docs/device-protocol.md): Socket.IO's `/device` namespace, or the plain WebSocket at
 * `/api/device/v1/ws`. Both offer the same requests with acks and the same gateway messages, so the
 * device model (sim-device.ts) does not know which one it runs over.
 */
import {
  DEVICE_WS_PATH,
  type DeviceClientToServer,
  type DeviceDispatchRequest,
  type DeviceServerToClient,
  DeviceWsOutbound,
  deviceWsSubprotocol,
  ErrorBody,
  type ErrorCode,
  PROTOCOL_VERSION,
} from '@lagebild/protocol';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';

export type DeviceTransport = 'socket.io' | 'websocket';

/** What the gateway does to a channel; the device model reacts. */
export interface ChannelEvents {
  connect(): void;
  /** `byServer`: the gateway closed it on purpose (revoked, replaced); the channel does not retry */
  disconnect(reason: string, byServer: boolean): void;
  /** `willRetry`: the channel reconnects by itself (a network error, not a refusal) */
  connectError(code: string | null, message: string, willRetry: boolean): void;
  bye(msg: { code: ErrorCode; message: string }): void;
  dispatchRequest(msg: DeviceDispatchRequest, ack: (received: true) => void): void;
  dispatchCancel(msg: { requestId: string }): void;
}

export type RequestType = 'status' | 'dispatch_answer' | 'report';
export type AckCallback = (err: Error | null, ack?: unknown) => void;

export interface DeviceChannel {
  readonly connected: boolean;
  connect(): void;
  disconnect(): void;
  /** `cb` gets the gateway's ack, or an error after timeoutMs or when the connection drops first */
  request(type: RequestType, data: unknown, timeoutMs: number, cb: AckCallback): void;
}

export interface ChannelOptions {
  /** the gateway's http(s) URL */
  url: string;
  deviceId: string;
  secret: string;
  /** first reconnection delay after a network error (ms); it doubles up to reconnectionDelayMax */
  reconnectionDelay: number;
  reconnectionDelayMax: number;
  /** how long one connection attempt may take (ms) */
  timeout: number;
}

export function openChannel(
  transport: DeviceTransport,
  opts: ChannelOptions,
  events: ChannelEvents,
): DeviceChannel {
  return transport === 'websocket' ? new WsChannel(opts, events) : socketIoChannel(opts, events);
}

/** The promise form of `request`, for the rare requests that are awaited. */
export function requestAck<T>(ch: DeviceChannel, type: RequestType, data: unknown, timeoutMs: number) {
  return new Promise<T>((resolve, reject) =>
    ch.request(type, data, timeoutMs, (err, ack) => (err ? reject(err) : resolve(ack as T))),
  );
}

type DeviceSocket = Socket<DeviceServerToClient, DeviceClientToServer>;

function socketIoChannel(opts: ChannelOptions, events: ChannelEvents): DeviceChannel {
  const socket: DeviceSocket = io(`${opts.url}/device`, {
    forceNew: true,
    transports: ['websocket'],
    autoConnect: false,
    auth: { deviceId: opts.deviceId, secret: opts.secret, protocol: PROTOCOL_VERSION },
    reconnectionDelay: opts.reconnectionDelay,
    reconnectionDelayMax: opts.reconnectionDelayMax,
    randomizationFactor: 0.5,
    timeout: opts.timeout,
  });
  socket.on('connect', () => events.connect());
  socket.on('disconnect', (reason) => events.disconnect(reason, reason === 'io server disconnect'));
  socket.on('connect_error', (err) => {
    const code = (err as Error & { data?: { code?: unknown } }).data?.code;
    // a refusal by the gateway's middleware is not retried by Socket.IO itself; transport errors are
    events.connectError(typeof code === 'string' ? code : null, err.message, socket.active);
  });
  socket.on('bye', (msg) => events.bye(msg));
  socket.on('dispatch_request', (msg, ack) => events.dispatchRequest(msg, ack));
  socket.on('dispatch_cancel', (msg) => events.dispatchCancel(msg));
  return {
    get connected() {
      return socket.connected;
    },
    connect: () => socket.connect(),
    disconnect: () => socket.disconnect(),
    request: (type, data, timeoutMs, cb) =>
      socket.timeout(timeoutMs).emit(type, data, (err: Error | null, ack: unknown) => cb(err, ack)),
  };
}

/** close codes after which the gateway wants the device to decide (not a network failure) */
const SERVER_CLOSES = new Set([1000, 4403, 4409]);

class WsChannel implements DeviceChannel {
  readonly #opts: ChannelOptions;
  readonly #events: ChannelEvents;
  readonly #url: string;
  readonly #auth: string;
  #ws: WebSocket | undefined;
  #connected = false;
  /** the device wants a connection (connect() until disconnect()) */
  #wanted = false;
  #attempts = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #nextRef = 0;
  readonly #pending = new Map<number, { cb: AckCallback; timer: ReturnType<typeof setTimeout> }>();

  constructor(opts: ChannelOptions, events: ChannelEvents) {
    this.#opts = opts;
    this.#events = events;
    this.#url = `${opts.url.replace(/^http/, 'ws')}${DEVICE_WS_PATH}`;
    this.#auth = `Basic ${Buffer.from(`${opts.deviceId}:${opts.secret}`).toString('base64')}`;
  }

  get connected(): boolean {
    return this.#connected;
  }

  connect(): void {
    this.#wanted = true;
    if (this.#ws) return;
    clearTimeout(this.#retryTimer);
    const ws = new WebSocket(this.#url, [deviceWsSubprotocol()], {
      headers: { Authorization: this.#auth },
      perMessageDeflate: false,
      handshakeTimeout: this.#opts.timeout,
    });
    this.#ws = ws;
    let refused = false;
    ws.on('open', () => {
      this.#connected = true;
      this.#attempts = 0;
      this.#events.connect();
    });
    ws.on('unexpected-response', (_req, res) => {
      // the gateway refused before the upgrade: its ErrorBody says why
      refused = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      res.on('end', () => {
        const parsed = ErrorBody.safeParse(safeJson(body));
        const code = parsed.success ? parsed.data.error.code : null;
        const message = parsed.success ? parsed.data.error.message : `HTTP ${res.statusCode}`;
        this.#ws = undefined;
        ws.terminate();
        this.#events.connectError(code, message, false);
      });
    });
    ws.on('message', (data, isBinary) => this.#receive(data as Buffer, isBinary));
    ws.on('error', (err) => {
      if (refused) return;
      if (!this.#connected) {
        // no connection was made (refused port, DNS, handshake timeout): retried with backoff
        this.#ws = undefined;
        this.#events.connectError(null, err.message, this.#wanted);
        this.#retry();
      }
    });
    ws.on('close', (code, reason) => {
      if (this.#ws === ws) this.#ws = undefined;
      if (!this.#connected) return; // a failed attempt, reported above
      this.#connected = false;
      this.#failPending('disconnected');
      const byServer = SERVER_CLOSES.has(code);
      this.#events.disconnect(
        `websocket close ${code}${reason.length ? `: ${reason.toString()}` : ''}`,
        byServer,
      );
      if (!byServer) this.#retry();
    });
  }

  disconnect(): void {
    this.#wanted = false;
    clearTimeout(this.#retryTimer);
    const ws = this.#ws;
    if (!ws) return;
    this.#ws = undefined;
    if (this.#connected) {
      this.#connected = false;
      this.#failPending('disconnected');
      this.#events.disconnect('client disconnect', false);
    }
    ws.terminate();
  }

  request(type: RequestType, data: unknown, timeoutMs: number, cb: AckCallback): void {
    const ws = this.#ws;
    if (!ws || !this.#connected) {
      queueMicrotask(() => cb(new Error('not connected')));
      return;
    }
    const ref = this.#nextRef;
    this.#nextRef = (this.#nextRef + 1) % 2 ** 31;
    const timer = setTimeout(() => {
      this.#pending.delete(ref);
      cb(new Error('operation has timed out'));
    }, timeoutMs);
    this.#pending.set(ref, { cb, timer });
    ws.send(JSON.stringify({ type, ref, data }));
  }

  #receive(data: Buffer, isBinary: boolean): void {
    if (isBinary) return;
    const raw = safeJson(data.toString('utf8')) as { type?: unknown; ref?: unknown; data?: unknown } | null;
    // the frame that comes once a second, an ack, is recognised by hand (its data is checked by the
    // request's owner: StatusAck, ReportAck, DispatchAnswerAck); every other frame by the schema
    if (raw?.type === 'ack' && typeof raw.ref === 'number') {
      const p = this.#pending.get(raw.ref);
      if (!p) return;
      this.#pending.delete(raw.ref);
      clearTimeout(p.timer);
      p.cb(null, raw.data);
      return;
    }
    const parsed = DeviceWsOutbound.safeParse(raw);
    if (!parsed.success) return; // a gateway answering garbage is treated like one that did not answer
    const msg = parsed.data;
    switch (msg.type) {
      case 'ack':
        return; // handled above
      case 'dispatch_request':
        this.#events.dispatchRequest(msg.data as DeviceDispatchRequest, () =>
          this.#ws?.send(JSON.stringify({ type: 'ack', ref: msg.ref, data: true })),
        );
        return;
      case 'dispatch_cancel':
        this.#events.dispatchCancel(msg.data);
        return;
      case 'bye':
        this.#events.bye(msg.data);
        return;
      case 'error': {
        // a frame the gateway could not read: the request it names fails now instead of timing out
        const p = msg.ref === null ? undefined : this.#pending.get(msg.ref);
        if (!p || msg.ref === null) return;
        this.#pending.delete(msg.ref);
        clearTimeout(p.timer);
        p.cb(new Error(`${msg.data.code}: ${msg.data.message}`));
        return;
      }
    }
  }

  /** reconnect after a network failure, with Socket.IO's backoff (doubling, ±50 % jitter) */
  #retry(): void {
    if (!this.#wanted) return;
    const base = Math.min(
      this.#opts.reconnectionDelayMax,
      this.#opts.reconnectionDelay * 2 ** this.#attempts,
    );
    this.#attempts = Math.min(this.#attempts + 1, 20);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.connect(), base * (0.5 + Math.random()));
  }

  #failPending(why: string): void {
    for (const [ref, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(ref);
      p.cb(new Error(why));
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
