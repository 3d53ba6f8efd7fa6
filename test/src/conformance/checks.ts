/**
 * The conformance checks: each drives the device through one or more rules of
 * docs/device-protocol.md over Socket.IO, the plain device WebSocket or HTTP and throws, saying what it saw, when the gateway
 * does not do what the rule says. Order matters only for the rate check, which drains the device's
 * bucket and so runs last. Every status event a check sends is a standby position in Duisburg.
 */
import { PROTOCOL_VERSION, type StatusAck } from '@lagebild/protocol';
import {
  basicAuth,
  connect,
  connectWs,
  type DeviceTarget,
  deviceToken,
  handshakeCode,
  postBatch,
  postOsmAnd,
  statusEvent,
  upgradeAnswer,
} from './device-client.ts';

export interface CheckContext {
  target: DeviceTarget;
  /** a device token given on the command line (else one is fetched with the secret) */
  deviceToken?: string;
  /** a fresh seq, above every one used before in this run (and in earlier runs: it starts at now in ms) */
  nextSeq(): number;
}

/** Thrown when a check cannot run here (e.g. live video, and so device tokens, not configured). */
export class Skip extends Error {}

export interface Check {
  rules: string[];
  title: string;
  run(ctx: CheckContext): Promise<void>;
}

function expectEqual(what: string, got: unknown, want: unknown): void {
  if (JSON.stringify(got) !== JSON.stringify(want))
    throw new Error(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

function expectAck(what: string, ack: StatusAck | undefined, want: Partial<Record<string, unknown>>): void {
  for (const [k, v] of Object.entries(want))
    if ((ack as Record<string, unknown> | undefined)?.[k] !== v)
      throw new Error(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(ack)}`);
}

async function tokenOf(ctx: CheckContext): Promise<string> {
  if (ctx.deviceToken) return ctx.deviceToken;
  const r = await deviceToken(ctx.target);
  if (r.status === 503) throw new Skip('the gateway has live video off, so it issues no device tokens');
  expectEqual('POST /api/device/token status', r.status, 200);
  if (!r.json.token) throw new Error('POST /api/device/token answered no token');
  return r.json.token;
}

export const CHECKS: Check[] = [
  {
    rules: ['D2', 'D29'],
    title: 'handshake: wrong secret, malformed, other protocol versions refused; the right one connects',
    async run({ target: t }) {
      const auth = (over: Record<string, unknown>) => ({
        deviceId: t.deviceId,
        secret: t.secret,
        protocol: PROTOCOL_VERSION,
        ...over,
      });
      expectEqual(
        'wrong secret',
        await handshakeCode(t, auth({ secret: 'w'.repeat(43) })),
        'unauthenticated',
      );
      expectEqual('malformed', await handshakeCode(t, { deviceId: 'not-a-uuid' }), 'bad_request');
      expectEqual(
        'protocol 0',
        await handshakeCode(t, auth({ protocol: PROTOCOL_VERSION - 1 })),
        'protocol_too_old',
      );
      expectEqual(
        'protocol +1',
        await handshakeCode(t, auth({ protocol: PROTOCOL_VERSION + 1 })),
        'protocol_too_new',
      );
      expectEqual('right secret', await handshakeCode(t, auth({})), 'connected');
    },
  },
  {
    rules: ['D3'],
    title: 'device token: issued for the secret, refused (401) for a wrong one',
    async run(ctx) {
      await tokenOf(ctx);
      const wrong = await deviceToken(ctx.target, 'w'.repeat(43));
      expectEqual('wrong secret', wrong.status, 401);
    },
  },
  {
    rules: ['D6', 'D10'],
    title: 'socket: an event is acked ok, its resend is a duplicate',
    async run(ctx) {
      const d = await connect(ctx.target);
      try {
        const e = statusEvent(ctx.nextSeq());
        expectEqual('first ack', await d.send(e), { ok: true, seq: e.seq, duplicate: false });
        expectEqual('resend ack', await d.send(e), { ok: true, seq: e.seq, duplicate: true });
      } finally {
        d.close();
      }
    },
  },
  {
    rules: ['D7', 'D8', 'D12'],
    title: 'socket: bad events get bad_request / too_large with retry false; the connection stays',
    async run(ctx) {
      const d = await connect(ctx.target);
      try {
        const seq = ctx.nextSeq();
        const bad = await d.send(statusEvent(seq, { position: { lat: 123, lng: 7, accuracyM: 3 } }));
        expectAck('lat 123', bad, { ok: false, code: 'bad_request', retry: false, seq });
        if (bad.ok || !bad.message.includes('position.lat'))
          throw new Error(`message names no field: ${JSON.stringify(bad)}`);
        const unannounced = await d.send(
          statusEvent(ctx.nextSeq(), { stage: 'recording', announced: false }),
        );
        expectAck('unannounced without reason', unannounced, { ok: false, code: 'bad_request' });
        const big = await d.send(statusEvent(ctx.nextSeq(), { unannouncedReason: 'x'.repeat(3000) }));
        expectAck('3,000-byte event', big, { ok: false, code: 'too_large', retry: false });
        const good = statusEvent(ctx.nextSeq());
        expectAck('a valid event after them', await d.send(good), { ok: true, seq: good.seq });
      } finally {
        d.close();
      }
    },
  },
  {
    rules: ['D11'],
    title: 'a late event (lower seq than the newest) is acked ok and stored once',
    async run(ctx) {
      const older = ctx.nextSeq();
      const newer = ctx.nextSeq();
      const d = await connect(ctx.target);
      try {
        expectAck('newer', await d.send(statusEvent(newer)), { ok: true, duplicate: false });
        expectEqual('late', await d.send(statusEvent(older)), { ok: true, seq: older, duplicate: false });
        expectEqual('late again', await d.send(statusEvent(older)), {
          ok: true,
          seq: older,
          duplicate: true,
        });
      } finally {
        d.close();
      }
    },
  },
  {
    rules: ['D14'],
    title: 'a second connection of the device ends the first',
    async run(ctx) {
      const first = await connect(ctx.target);
      const ended = new Promise<boolean>((resolve) => {
        first.socket.once('disconnect', () => resolve(true));
        setTimeout(() => resolve(false), 5000);
      });
      const second = await connect(ctx.target);
      try {
        if (!(await ended))
          throw new Error('the first connection was still open 5 s after the second connected');
      } finally {
        first.close();
        second.close();
      }
    },
  },
  {
    rules: ['D30'],
    title:
      'WebSocket upgrade: no version, another version, wrong secret refused as HTTP; the right one connects',
    async run({ target: t }) {
      const v = `lagebild.device.v${PROTOCOL_VERSION}`;
      const seen = {
        noVersion: await upgradeAnswer(t, { protocols: [] }),
        older: await upgradeAnswer(t, { protocols: [`lagebild.device.v${PROTOCOL_VERSION - 1}`] }),
        newer: await upgradeAnswer(t, { protocols: [`lagebild.device.v${PROTOCOL_VERSION + 1}`] }),
        noCredentials: await upgradeAnswer(t, { authorization: null }),
        wrongSecret: await upgradeAnswer(t, { authorization: basicAuth(t.deviceId, `${t.secret}x`) }),
        right: await upgradeAnswer(t, { protocols: ['chat', v] }),
      };
      expectEqual('answers', seen, {
        noVersion: { status: 400, code: 'bad_request', protocol: null },
        older: { status: 426, code: 'protocol_too_old', protocol: null },
        newer: { status: 400, code: 'protocol_too_new', protocol: null },
        noCredentials: { status: 401, code: 'unauthenticated', protocol: null },
        wrongSecret: { status: 401, code: 'unauthenticated', protocol: null },
        right: { status: 101, code: null, protocol: v },
      });
    },
  },
  {
    rules: ['D31', 'D10', 'D8'],
    title:
      'WebSocket: an event is acked ok, its resend is a duplicate; bad frames get an error, the connection stays',
    async run(ctx) {
      const d = await connectWs(ctx.target);
      try {
        const e = statusEvent(ctx.nextSeq());
        expectEqual('first ack', await d.request('status', e), { ok: true, seq: e.seq, duplicate: false });
        expectEqual('resend ack', await d.request('status', e), { ok: true, seq: e.seq, duplicate: true });
        const seq = ctx.nextSeq();
        const bad = (await d.request('status', statusEvent(seq, { batteryPct: 101 }))) as StatusAck;
        expectAck('batteryPct 101', bad, { ok: false, code: 'bad_request', retry: false, seq });
        const before = d.frames.length;
        d.ws.send('not json');
        const unknown = (await d.request('telnet', {})) as { type?: string; data?: { code?: string } };
        expectEqual('unknown type', [unknown.type, unknown.data?.code], ['error', 'bad_request']);
        const notJson = d.frames.slice(before).find((f) => f.type === 'error' && f.ref === null);
        if (!notJson) throw new Error('a frame that is not JSON got no error frame');
        const after = statusEvent(ctx.nextSeq());
        expectAck('after the bad frames', (await d.request('status', after)) as StatusAck, { ok: true });
      } finally {
        d.close();
      }
    },
  },
  {
    rules: ['D14', 'D32'],
    title: 'WebSocket: a second connection of the device ends the first with 4409',
    async run(ctx) {
      const first = await connectWs(ctx.target);
      const code = Promise.race([first.closed, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
      const second = await connectWs(ctx.target);
      try {
        expectEqual('close code of the first', await code, 4409);
      } finally {
        first.close();
        second.close();
      }
    },
  },
  {
    rules: ['D15', 'D12'],
    title: 'HTTP batch: one ack per event in order; a malformed body is a 400',
    async run(ctx) {
      const t = ctx.target;
      const auth = basicAuth(t.deviceId, t.secret);
      const [a, b, c] = [ctx.nextSeq(), ctx.nextSeq(), ctx.nextSeq()];
      const r = await postBatch(t, auth, {
        events: [statusEvent(a), statusEvent(b, { batteryPct: 101 }), statusEvent(c)],
      });
      expectEqual('status', r.status, 200);
      const acks = r.json.acks ?? [];
      expectEqual('ack count', acks.length, 3);
      expectEqual('first', acks[0], { ok: true, seq: a, duplicate: false });
      expectAck('second (battery 101)', acks[1], { ok: false, seq: b, code: 'bad_request', retry: false });
      expectEqual('third', acks[2], { ok: true, seq: c, duplicate: false });
      for (const body of [{}, { events: [] }, '{"events": [']) {
        const bad = await postBatch(t, auth, body);
        expectEqual(`body ${JSON.stringify(body)}`, bad.status, 400);
      }
      const many = await postBatch(t, auth, { events: Array.from({ length: 101 }, () => statusEvent(0)) });
      expectEqual('101 events', many.status, 400);
    },
  },
  {
    rules: ['D4'],
    title: 'HTTP credentials: Basic id:secret and Bearer token pass; none, wrong or forged ones are 401',
    async run(ctx) {
      const t = ctx.target;
      const token = await tokenOf(ctx).catch((err) => {
        if (err instanceof Skip) return null;
        throw err;
      });
      if (token) {
        const seq = ctx.nextSeq();
        const ok = await postBatch(t, `Bearer ${token}`, { events: [statusEvent(seq)] });
        expectEqual('Bearer token', ok.json.acks, [{ ok: true, seq, duplicate: false }]);
        const forged = await postBatch(t, `Bearer ${token.slice(0, -4)}AAAA`, {
          events: [statusEvent(ctx.nextSeq())],
        });
        expectEqual('forged token', forged.status, 401);
      }
      for (const [what, auth] of [
        ['no credentials', null],
        ['wrong secret', basicAuth(t.deviceId, 'w'.repeat(43))],
        ['unknown device', basicAuth('00000000-0000-4000-8000-000000000000', t.secret)],
        ['another scheme', 'Digest x'],
      ] as const) {
        const r = await postBatch(t, auth, { events: [statusEvent(ctx.nextSeq())] });
        expectEqual(what, r.status, 401);
      }
    },
  },
  {
    rules: ['D16', 'D10'],
    title: 'one path: an event sent on the socket is a duplicate over HTTP, and the other way round',
    async run(ctx) {
      const t = ctx.target;
      const auth = basicAuth(t.deviceId, t.secret);
      const d = await connect(t);
      try {
        const viaSocket = statusEvent(ctx.nextSeq());
        expectAck('socket', await d.send(viaSocket), { ok: true, duplicate: false });
        const r = await postBatch(t, auth, { events: [viaSocket] });
        expectEqual('same event over HTTP', r.json.acks, [{ ok: true, seq: viaSocket.seq, duplicate: true }]);
        const viaHttp = statusEvent(ctx.nextSeq());
        const h = await postBatch(t, auth, { events: [viaHttp] });
        expectEqual('HTTP', h.json.acks, [{ ok: true, seq: viaHttp.seq, duplicate: false }]);
        expectEqual('same event on the socket', await d.send(viaHttp), {
          ok: true,
          seq: viaHttp.seq,
          duplicate: true,
        });
      } finally {
        d.close();
      }
    },
  },
  {
    rules: ['D17', 'D18', 'D20'],
    title:
      'OsmAnd as Traccar Client posts it: 200 once stored, a resend is a duplicate, bad input 400, no secret 401',
    async run(ctx) {
      const t = ctx.target;
      // an hour-old position from a tracker's buffer: late (D11), so it cannot move the map
      const ts = Math.floor(Date.now() / 1000) - 3600 + Math.floor(Math.random() * 600);
      const params = {
        id: t.deviceId,
        secret: t.secret,
        timestamp: String(ts),
        lat: '51.4344',
        lon: '6.7623',
        speed: '0.0',
        bearing: '0.0',
        altitude: '35.0',
        accuracy: '12.0',
        batt: '80.0',
      };
      const first = await postOsmAnd(t, params);
      expectEqual('first report', first.status, 200);
      expectEqual('its ack', first.json.acks, [{ ok: true, seq: ts * 1000, duplicate: false }]);
      const again = await postOsmAnd(t, params);
      expectEqual('resend', again.json.acks, [{ ok: true, seq: ts * 1000, duplicate: true }]);
      expectEqual('lat=91', (await postOsmAnd(t, { ...params, lat: '91' })).status, 400);
      const { secret: _secret, ...noSecret } = params;
      expectEqual('no secret', (await postOsmAnd(t, noSecret)).status, 401);
    },
  },
  {
    rules: ['D13', 'D12'],
    title: 'rate: a flood beyond the burst is refused with rate_limited, retry true',
    async run(ctx) {
      const d = await connect(ctx.target);
      try {
        const acks = await Promise.all(
          Array.from({ length: 400 }, () => d.send(statusEvent(ctx.nextSeq()), 30_000)),
        );
        const limited = acks.filter((a) => !a.ok && a.code === 'rate_limited');
        if (limited.length === 0) throw new Error('400 events at once: none was rate-limited');
        if (!limited.every((a) => !a.ok && a.retry))
          throw new Error('a rate_limited ack without retry: true');
        const other = acks.filter((a) => !a.ok && a.code !== 'rate_limited');
        if (other.length > 0) throw new Error(`unexpected errors: ${JSON.stringify(other[0])}`);
      } finally {
        d.close();
      }
    },
  },
];
