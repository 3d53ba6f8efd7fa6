import { createServer, type Server } from 'node:http';
import { queryObjects } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { releaseReadChunk } from './ws-read-chunk.ts';

let http: Server | undefined;
let clients: WebSocket[] = [];

afterEach(async () => {
  for (const c of clients) c.terminate();
  clients = [];
  await new Promise((r) => http?.close(r) ?? r(null));
});

/** n clients that each sent one message the server has read; `release` as device-ws.ts does. */
async function eachSentOne(n: number, release: boolean): Promise<void> {
  http = createServer();
  const wss = new WebSocketServer({ server: http, clientTracking: false });
  let read = 0;
  wss.on('connection', (ws) =>
    ws.on('message', () => {
      if (release) releaseReadChunk(ws);
      read++;
    }),
  );
  await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
  const { port } = http.address() as { port: number };
  clients = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const c = new WebSocket(`ws://127.0.0.1:${port}`);
          c.once('open', () => {
            c.send(JSON.stringify({ type: 'status', ref: 1, data: { pad: 'x'.repeat(200) } }));
            resolve(c);
          });
          c.once('error', reject);
        }),
    ),
  );
  while (read < n) await new Promise((r) => setTimeout(r, 5));
}

// queryObjects counts what a full garbage collection leaves alive
const buffersAlive = () => queryObjects(ArrayBuffer, { format: 'count' });

describe('releaseReadChunk()', () => {
  it('lets the reads of idle connections be collected', async () => {
    const before = buffersAlive();
    await eachSentOne(20, true);
    expect(buffersAlive() - before).toBeLessThan(20);
  });

  it('is what frees them: without it ws holds one read per connection', async () => {
    const before = buffersAlive();
    await eachSentOne(20, false);
    expect(buffersAlive() - before).toBeGreaterThanOrEqual(20);
  });
});
