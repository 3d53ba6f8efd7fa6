import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type ChannelEvents, type DeviceChannel, openChannel } from './device-channel.ts';

/** A stand-in gateway: answers the upgrade as `upgrade` says, then runs `onSocket`. */
let http: Server | undefined;
let channel: DeviceChannel | undefined;
afterEach(async () => {
  channel?.disconnect();
  await new Promise((r) => (http ? http.close(r) : r(null)));
  http = channel = undefined;
});

async function gateway(
  upgrade: (req: IncomingMessage, socket: Duplex) => boolean,
  onSocket: (ws: WebSocket) => void,
): Promise<string> {
  http = createServer();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => [...p][0] ?? false });
  http.on('upgrade', (req, socket, head) => {
    if (upgrade(req, socket)) wss.handleUpgrade(req, socket, head, onSocket);
  });
  await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(http.address() as { port: number }).port}`;
}

function record(): { log: string[]; events: ChannelEvents } {
  const log: string[] = [];
  return {
    log,
    events: {
      connect: () => log.push('connect'),
      disconnect: (reason, byServer) =>
        log.push(`disconnect ${byServer ? 'by server' : 'network'}: ${reason}`),
      connectError: (code, message, willRetry) => log.push(`error ${code} ${message} retry=${willRetry}`),
      bye: (m) => log.push(`bye ${m.code}`),
      dispatchRequest: (m, ack) => {
        log.push(`dispatch ${m.requestId}`);
        ack(true);
      },
      dispatchCancel: (m) => log.push(`cancel ${m.requestId}`),
    },
  };
}

const opts = (url: string) => ({
  url,
  deviceId: '00000000-0000-4000-8000-00000000000a',
  secret: 's'.repeat(43),
  reconnectionDelay: 50,
  reconnectionDelayMax: 100,
  timeout: 2000,
});
const until = async (pred: () => boolean) => {
  for (let i = 0; i < 400 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(pred()).toBe(true);
};

describe('the WebSocket device channel', () => {
  it('offers the credentials and the version, and matches each ack to its request', async () => {
    let seen: IncomingMessage | undefined;
    const url = await gateway(
      (req) => {
        seen = req;
        return true;
      },
      (ws) =>
        ws.on('message', (d) => {
          const m = JSON.parse(String(d));
          ws.send(JSON.stringify({ type: 'ack', ref: m.ref, data: { echo: m.data } }));
        }),
    );
    const { log, events } = record();
    channel = openChannel('websocket', opts(url), events);
    channel.connect();
    await until(() => log.includes('connect'));
    expect(seen!.url).toBe('/api/device/v1/ws');
    expect(seen!.headers['sec-websocket-protocol']).toBe('lagebild.device.v1');
    expect(Buffer.from(seen!.headers.authorization!.slice(6), 'base64').toString()).toBe(
      `00000000-0000-4000-8000-00000000000a:${'s'.repeat(43)}`,
    );
    const acks = await Promise.all(
      [1, 2, 3].map(
        (n) =>
          new Promise((resolve) => channel!.request('status', n, 1000, (err, ack) => resolve(err ?? ack))),
      ),
    );
    expect(acks).toEqual([{ echo: 1 }, { echo: 2 }, { echo: 3 }]);
  });

  it('reports a refusal with its code and does not retry it by itself', async () => {
    let attempts = 0;
    const url = await gateway(
      (_req, socket) => {
        attempts++;
        const body = JSON.stringify({
          error: { code: 'forbidden', message: 'this device has been revoked' },
        });
        socket.end(
          `HTTP/1.1 403 Forbidden\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        );
        return false;
      },
      () => {},
    );
    const { log, events } = record();
    channel = openChannel('websocket', opts(url), events);
    channel.connect();
    await until(() => log.length > 0);
    expect(log).toEqual(['error forbidden this device has been revoked retry=false']);
    await new Promise((r) => setTimeout(r, 300));
    expect(attempts).toBe(1);
  });

  it('fails open requests when the connection drops, then reconnects by itself after a network loss', async () => {
    let connections = 0;
    const url = await gateway(
      () => true,
      (ws) => {
        connections++;
        if (connections === 1) ws.on('message', () => ws.terminate()); // lost mid-request
      },
    );
    const { log, events } = record();
    channel = openChannel('websocket', opts(url), events);
    channel.connect();
    await until(() => log.includes('connect'));
    const failed = await new Promise<Error | null>((r) =>
      channel!.request('status', {}, 5000, (err) => r(err)),
    );
    expect(failed?.message).toBe('disconnected');
    await until(() => connections === 2 && channel!.connected);
    expect(log.filter((l) => l.startsWith('disconnect'))).toEqual([
      'disconnect network: websocket close 1006',
    ]);
  });

  it('leaves a deliberate close (replaced, revoked) to the device, and hands it the bye and dispatch messages', async () => {
    const url = await gateway(
      () => true,
      (ws) => {
        ws.send(JSON.stringify({ type: 'dispatch_request', ref: 7, data: { requestId: 'r1' } }));
        ws.on('message', (d) => {
          expect(JSON.parse(String(d))).toEqual({ type: 'ack', ref: 7, data: true });
          ws.send(JSON.stringify({ type: 'dispatch_cancel', data: { requestId: 'r1' } }));
          ws.send(JSON.stringify({ type: 'bye', data: { code: 'forbidden', message: 'revoked' } }));
          ws.close(4403, 'this device has been revoked');
        });
      },
    );
    const { log, events } = record();
    channel = openChannel('websocket', opts(url), events);
    channel.connect();
    await until(() => log.some((l) => l.startsWith('disconnect')));
    expect(log).toEqual([
      'connect',
      'dispatch r1',
      'cancel r1',
      'bye forbidden',
      'disconnect by server: websocket close 4403: this device has been revoked',
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(channel.connected).toBe(false);
  });
});
