/**
 * The device protocol over a plain WebSocket at `/api/device/v1/ws` (packages/protocol device-ws.ts,
 * docs/device-protocol.md D30–D32): the same session as Socket.IO's `/device` (device-sessions.ts), with
 * a connection that costs about what a bare `ws` socket costs (issue 17: 10,000 cameras per gateway).
 *
 * The device is authenticated before the upgrade, like the HTTP status endpoints (Basic id:secret or
 * a Bearer device token; device-credentials.ts), and names the protocol version as its subprotocol;
 * a refusal is an HTTP answer with an ErrorBody, which any WebSocket client and curl can read. Every
 * frame is checked against DeviceWsInbound; a frame that is not one gets an `error` frame, never a
 * crash. A connection silent for a while is pinged (one timer for all) and cut if it stays silent;
 * a camera that reports is never pinged (D32).
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  DEVICE_WS_PATH,
  type DeviceDispatchRequest,
  DeviceWsClose,
  DeviceWsInbound,
  type DeviceWsOutbound,
  describeIssues,
  deviceWsSubprotocol,
  deviceWsVersion,
  type ErrorCode,
  MAX_DEVICE_WS_FRAME,
  PROTOCOL_VERSION,
} from '@lagebild/protocol';
import type pg from 'pg';
import { type WebSocket, WebSocketServer } from 'ws';
import { authenticateDevice, credentialsOf } from '../devices/device-credentials.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { DeviceIdentity } from './device-directory.ts';
import type { DeviceLink, DeviceSession, DeviceSessions, LinkCloseReason } from './device-sessions.ts';
import { releaseReadChunk } from './ws-read-chunk.ts';

export interface DeviceWsDeps {
  server: Server;
  pool: pg.Pool;
  metrics: Metrics;
  log: Logger;
  sessions: DeviceSessions;
  /** MEDIA_TOKEN_SECRET: device tokens are accepted when set */
  tokenSecrets: readonly string[];
  /**
   * a connection silent this long gets a ping; one silent as long again is cut. A camera reporting
   * every few seconds is never pinged: its statuses show it is there.
   */
  silenceMs: number;
}

/** a device that does not read its acks is ended before its backlog grows past this */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** Socket.IO's engine handles its own path; any other upgrade is ours to answer. */
const SOCKET_IO_PATH = '/socket.io/';

const SUBPROTOCOL = deviceWsSubprotocol();

function destroyOnError(this: Duplex): void {
  this.destroy();
}

const CLOSE_OF: Record<LinkCloseReason, [number, string]> = {
  replaced: [DeviceWsClose.replaced, 'replaced by a newer connection of this device'],
  revoked: [DeviceWsClose.revoked, 'this device has been revoked'],
};

export function attachDeviceWebSocket(deps: DeviceWsDeps): { close(): void } {
  const { pool, metrics, log, sessions } = deps;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_DEVICE_WS_FRAME,
    perMessageDeflate: false,
    clientTracking: false,
    // ws would pick the first subprotocol offered; the device's is the one this gateway speaks
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const links = new Set<WsLink>();

  deps.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    if (path.startsWith(SOCKET_IO_PATH)) return; // Engine.IO's
    socket.on('error', destroyOnError); // a client gone mid-handshake is no error of ours
    if (path !== DEVICE_WS_PATH) return refuse(socket, 404, 'not_found', `no WebSocket endpoint at ${path}`);
    void accept(req, socket, head).catch((err: unknown) => {
      if (err instanceof AppError) {
        if (err.code === 'unauthenticated' || err.code === 'forbidden') metrics.deviceAuthFailed++;
        log.warn(
          { ip: req.socket.remoteAddress, code: err.code },
          `device WebSocket refused: ${err.message}`,
        );
        return refuse(socket, err.status, err.code, err.message);
      }
      log.error({ err }, 'device WebSocket authentication failed');
      refuse(socket, 503, 'unavailable', 'authentication is unavailable; retry');
    });
  });

  async function accept(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const versions = offered.map(deviceWsVersion).filter((v): v is number => v !== null);
    if (versions.length === 0)
      throw new AppError('bad_request', `Sec-WebSocket-Protocol must name ${deviceWsSubprotocol()}`);
    if (!versions.includes(PROTOCOL_VERSION)) {
      if (Math.max(...versions) < PROTOCOL_VERSION)
        throw new AppError('protocol_too_old', 'device protocol too old; update the firmware');
      throw new AppError('protocol_too_new', 'gateway protocol older than the device');
    }
    const dev = await authenticateDevice(pool, deps.tokenSecrets, credentialsOf(req.headers.authorization));
    wss.handleUpgrade(req, socket, head, (ws) => connect(ws, dev));
  }

  function connect(ws: WebSocket, dev: DeviceIdentity): void {
    const link = new WsLink(ws);
    links.add(link);
    const session = sessions.open(dev, link);
    ws.on('message', (data: Buffer, isBinary: boolean) => link.receive(session, data, isBinary));
    ws.on('pong', () => link.heard());
    ws.on('error', (err) => log.debug({ err, deviceId: dev.deviceId }, 'device WebSocket error'));
    ws.on('close', (code: number) => {
      links.delete(link);
      link.closed();
      session.closed(`websocket close ${code}`);
    });
  }

  // one timer for every connection
  const pinger = setInterval(() => {
    for (const link of links) link.checkSilence();
  }, deps.silenceMs);
  pinger.unref();

  return {
    close() {
      clearInterval(pinger);
      for (const link of links) link.ws.close(1001, 'gateway shutting down');
      wss.close();
    },
  };
}

/** One device's WebSocket as the sessions see it, plus its requests awaiting the device's ack. */
class WsLink implements DeviceLink {
  readonly id = randomUUID();
  /** whether anything came from the device since the last silence check */
  #heard = true;
  #pinged = false;
  #nextRef = 0;
  #pending: Map<number, (received: boolean) => void> | undefined;

  readonly ws: WebSocket;

  constructor(ws: WebSocket) {
    this.ws = ws;
  }

  send(msg: DeviceWsOutbound): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.terminate(); // it stopped reading; it resends what was not acknowledged on reconnect
      return;
    }
    this.ws.send(JSON.stringify(msg));
  }

  receive(session: DeviceSession, data: Buffer, isBinary: boolean): void {
    this.heard();
    if (isBinary) {
      this.#error(null, 'bad_request', 'frames are JSON text, not binary');
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString('utf8'));
    } catch {
      this.#error(null, 'bad_request', 'frame is not JSON');
      return;
    }
    const parsed = DeviceWsInbound.safeParse(raw);
    if (!parsed.success) {
      const ref = (raw as { ref?: unknown } | null)?.ref;
      const known = Number.isInteger(ref) && (ref as number) >= 0 && (ref as number) < 2 ** 31;
      this.#error(known ? (ref as number) : null, 'bad_request', describeIssues(parsed.error).join('; '));
      return;
    }
    const msg = parsed.data;
    const answer = (data: unknown) => this.send({ type: 'ack', ref: msg.ref, data });
    switch (msg.type) {
      case 'status':
        void session.status(msg.data).then(answer);
        return;
      case 'dispatch_answer':
        void session.dispatchAnswer(msg.data).then(answer);
        return;
      case 'report':
        void session.report(msg.data).then(answer);
        return;
      case 'ack': {
        const done = this.#pending?.get(msg.ref);
        if (done) done(true);
        return;
      }
    }
  }

  /** a frame (message or pong) came in and has been read */
  heard(): void {
    this.#heard = true;
    releaseReadChunk(this.ws);
  }

  /** silent since the last check: ping it; silent since that ping too: its network is gone */
  checkSilence(): void {
    if (this.#heard) {
      this.#heard = false;
      this.#pinged = false;
    } else if (this.#pinged) {
      this.ws.terminate(); // no close handshake to wait for
    } else {
      this.#pinged = true;
      this.ws.ping();
    }
  }

  bye(msg: { code: ErrorCode; message: string }): void {
    this.send({ type: 'bye', data: msg });
  }

  dispatchRequest(msg: DeviceDispatchRequest, timeoutMs: number): Promise<boolean> {
    const ref = this.#nextRef++;
    this.#pending ??= new Map();
    const pending = this.#pending;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), timeoutMs);
      const settle = (received: boolean) => {
        clearTimeout(timer);
        pending.delete(ref);
        resolve(received);
      };
      pending.set(ref, settle);
      this.send({ type: 'dispatch_request', ref, data: msg });
    });
  }

  dispatchCancel(requestId: string): void {
    this.send({ type: 'dispatch_cancel', data: { requestId } });
  }

  close(reason: LinkCloseReason): void {
    const [code, text] = CLOSE_OF[reason];
    this.ws.close(code, text);
  }

  /** the connection is gone: requests awaiting the device's ack will not get one */
  closed(): void {
    for (const settle of this.#pending?.values() ?? []) settle(false);
  }

  #error(ref: number | null, code: ErrorCode, message: string): void {
    this.send({ type: 'error', ref, data: { code, message } });
  }
}

/** how long a refused upgrade's connection may stay half-open after the answer */
const REFUSAL_LINGER_MS = 5000;

/** An HTTP answer on a connection that asked to upgrade, then the connection is closed. */
function refuse(socket: Duplex, status: number, code: ErrorCode, message: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  // a client that never closes its side is not kept waiting for
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}
