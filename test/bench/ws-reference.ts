/**
 * The reference of `npm run bench:status` (issue 17): a bare `ws` server that speaks just enough of
 * either device transport for the same device driver to connect — the plain device WebSocket
 * (`/api/device/v1/ws`, its subprotocol; no pings: the gateway pings only silent devices, none here) and Socket.IO
 * (Engine.IO 4 over WebSocket, namespace `/device`) — and that receives each `status`, parses it
 * and acknowledges it (`{ ok: true, seq, duplicate: false }`) — nothing else: no authentication,
 * validation, live view, fan-out or persistence. Its CPU per status is the floor the gateway's is
 * compared with in the same run. Prints `{"msg":"ready","url":…}` once listening; stops on SIGTERM.
 */
import { createServer } from 'node:http';
import { DEVICE_WS_PATH, deviceWsSubprotocol } from '@lagebild/protocol';
import { type WebSocket, WebSocketServer } from 'ws';

const NSP = '/device';
const PING_MS = 25_000;
/** an event packet of the namespace: `42/device,<ack id>["status",{…}]` */
const EVENT = `42${NSP},`;

const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const plain = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  clientTracking: false,
  handleProtocols: (offered) => (offered.has(deviceWsSubprotocol()) ? deviceWsSubprotocol() : false),
});
server.on('upgrade', (req, socket, head) => {
  const path = (req.url ?? '').split('?', 1)[0];
  if (path === '/socket.io/') wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  else if (path === DEVICE_WS_PATH) plain.handleUpgrade(req, socket, head, (ws) => plainConnection(ws));
  else socket.destroy();
});
let statuses = 0;

// the plain device WebSocket: `{ type: 'status', ref, data }` → `{ type: 'ack', ref, data: ack }`
const plainSockets = new Set<WebSocket>();
function plainConnection(ws: WebSocket) {
  plainSockets.add(ws);
  ws.on('close', () => plainSockets.delete(ws));
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const msg = JSON.parse(String(data)) as { type?: string; ref?: number; data?: { seq?: number } };
    if (msg.type !== 'status') return;
    statuses++;
    ws.send(
      JSON.stringify({
        type: 'ack',
        ref: msg.ref,
        data: { ok: true, seq: msg.data?.seq ?? 0, duplicate: false },
      }),
    );
  });
}

let nextSid = 0;

wss.on('connection', (ws) => {
  const sid = `ref${nextSid++}`;
  ws.send(
    `0${JSON.stringify({ sid, upgrades: [], pingInterval: PING_MS, pingTimeout: 20_000, maxPayload: 1_000_000 })}`,
  );
  const ping = setInterval(() => ws.send('2'), PING_MS);
  ws.on('close', () => clearInterval(ping));
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString();
    if (text === '3') return; // pong
    // Socket.IO packet inside an Engine.IO message ('4'): '0' connect, '2' event (with an ack id)
    if (text.startsWith(`40${NSP},`)) {
      ws.send(`40${NSP},${JSON.stringify({ sid: `${sid}#device` })}`);
      return;
    }
    if (!text.startsWith(EVENT)) return;
    const body = text.slice(EVENT.length);
    const bracket = body.indexOf('[');
    if (bracket <= 0) return; // no ack id: nothing to answer
    const ackId = body.slice(0, bracket);
    const [name, status] = JSON.parse(body.slice(bracket)) as [string, { seq?: number }];
    if (name !== 'status') return;
    statuses++;
    ws.send(`43${NSP},${ackId}${JSON.stringify([{ ok: true, seq: status.seq ?? 0, duplicate: false }])}`);
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(
    `${JSON.stringify({ msg: 'ready', url: `http://127.0.0.1:${port}`, pid: process.pid })}\n`,
  );
});

process.once('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'stopped', statuses })}\n`);
  for (const ws of wss.clients) ws.terminate();
  for (const ws of plainSockets) ws.terminate();
  server.close(() => process.exit(0));
});
