/**
 * Lets go of each WebSocket upgrade's HTTP request once its Engine.IO connection is made.
 *
 * Engine.IO 6.6 hands middlewares a stand-in response for an upgrade (`WebSocketResponse`) that
 * listens for the TCP socket's `close` and holds the request: every WebSocket connection kept its
 * upgrade request (headers, raw headers, stream state; a few KB) for as long as it lived, whatever
 * the namespace did with `socket.conn.request` (the device namespace drops it: issue 17, 10,000
 * camera connections per gateway). Nothing reads that stand-in once the connection exists, so its
 * reference to the request is cut then; `socket.request` of a namespace that keeps it is untouched.
 */
import { ServerResponse } from 'node:http';
import type { Server } from 'socket.io';

export function releaseUpgradeResponses(io: Server): void {
  const responses = new WeakMap<object, { req: unknown }>();
  io.engine.use((req: object, res: object, next: () => void) => {
    if (!(res instanceof ServerResponse)) responses.set(req, res as { req: unknown });
    next();
  });
  io.engine.on('connection', (conn: { request: object }) => {
    const res = responses.get(conn.request);
    if (!res) return;
    res.req = null;
    responses.delete(conn.request);
  });
}
