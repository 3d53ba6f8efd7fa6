import { createServer, type Server as HttpServer, IncomingMessage } from 'node:http';
import { queryObjects } from 'node:v8';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { releaseUpgradeResponses } from './upgrade-responses.ts';

let http: HttpServer | undefined;
let io: Server | undefined;
let clients: Socket[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await io?.close();
  http = io = undefined;
});

/** Connects n WebSocket clients to a namespace that drops `socket.conn.request`, as /device does. */
async function connected(n: number, release: boolean): Promise<void> {
  http = createServer();
  io = new Server(http, { serveClient: false });
  if (release) releaseUpgradeResponses(io);
  io.of('/device').on('connection', (s) => {
    (s.conn as { request: unknown }).request = null;
  });
  await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
  const { port } = http.address() as { port: number };
  clients = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const c = connect(`http://127.0.0.1:${port}/device`, { transports: ['websocket'], forceNew: true });
          c.once('connect', () => resolve(c));
          c.once('connect_error', reject);
        }),
    ),
  );
}

// queryObjects counts what a full garbage collection leaves alive
const requestsAlive = () => queryObjects(IncomingMessage, { format: 'count' });

describe('releaseUpgradeResponses()', () => {
  it('lets the upgrade requests of open WebSocket connections be collected', async () => {
    const before = requestsAlive();
    await connected(20, true);
    expect(requestsAlive() - before).toBeLessThan(20);
  });

  it('is what frees them: without it Engine.IO holds every one', async () => {
    const before = requestsAlive();
    await connected(20, false);
    expect(requestsAlive() - before).toBeGreaterThanOrEqual(20);
  });
});
