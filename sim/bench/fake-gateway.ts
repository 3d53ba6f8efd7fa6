/**
 * A minimal `/device` server for load-testing the simulator itself (not the gateway): accepts any
 * handshake, validates each status with the protocol schema and acknowledges it at once. Prints
 * a JSON `ready` line with its URL and received-status counts every 5 s.
 *   node sim/bench/fake-gateway.ts [port]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeviceStatus, type StatusAck } from '@lagebild/protocol';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { transports: ['websocket'] });
let connections = 0;
let statuses = 0;
let invalid = 0;
io.of('/device').on('connection', (socket) => {
  connections++;
  socket.on('disconnect', () => connections--);
  socket.on('status', (raw: unknown, ack: (a: StatusAck) => void) => {
    const parsed = DeviceStatus.safeParse(raw);
    if (!parsed.success) {
      invalid++;
      return ack({ ok: false, seq: null, code: 'bad_request', message: 'invalid', retry: false });
    }
    statuses++;
    ack({ ok: true, seq: parsed.data.seq, duplicate: false });
  });
});
http.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  console.log(JSON.stringify({ msg: 'ready', url: `http://127.0.0.1:${port}` }));
});
let last = 0;
setInterval(() => {
  console.log(
    `[fake-gateway] connections ${connections} · statuses/s ${(statuses - last) / 5} · invalid ${invalid}`,
  );
  last = statuses;
}, 5000);
