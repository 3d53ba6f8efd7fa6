/**
 * Status over plain HTTP (issue 16): the JSON batch endpoint and the OsmAnd endpoint against two
 * real gateways, PostgreSQL and Redis. The properties are the socket path's (status-pipeline.test.ts):
 * acks only after the commit, duplicates stored once, late events never move the map back, bad input
 * answered with a reason, revoked devices refused, tenants isolated, the device's rate bucket shared.
 * Rule ids are those of docs/device-protocol.md.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { StatusAck } from '@lagebild/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, connectOperator, login, type Operator, status, waitFor } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack, TEST_MEDIA_SECRET } from '../src/stack.ts';

let stack: Stack;
let duisburg: Stack['tenants'][number];
let dortmund: Stack['tenants'][number];
let opDu: Operator;
let opDo: Operator;

type Dev = { deviceId: string; secret: string };
const basic = (d: Dev) => `Basic ${Buffer.from(`${d.deviceId}:${d.secret}`).toString('base64')}`;

async function postBatch(
  base: string,
  authorization: string | null,
  body: unknown,
): Promise<{ status: number; json: { acks?: StatusAck[]; error?: { code: string; message: string } } }> {
  const res = await fetch(`${base}/api/device/v1/status`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function count(deviceId: string, where = 'true'): Promise<number> {
  const { rows } = await stack.db.pool.query(
    `SELECT count(*)::int AS n FROM status_events WHERE device_id = $1 AND ${where}`,
    [deviceId],
  );
  return rows[0].n;
}

/**
 * One request exactly as Traccar Client for Android sends it (ProtocolFormatter + RequestManager):
 * POST to the configured server URL with the position appended as query parameters, no body.
 */
function traccarClientPost(
  base: string,
  serverPathAndQuery: string,
  params: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const url = new URL(serverPathAndQuery, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: `${url.pathname}${url.search}`,
        headers: {
          'User-Agent': 'Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Build/AP2A.240805.005)',
          Connection: 'Keep-Alive',
          'Accept-Encoding': 'gzip',
          'Content-Length': '0',
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  stack = await startStack({
    gateways: 2,
    devicesPerTenant: 13,
    gatewayEnv: { MEDIA_TOKEN_SECRET: TEST_MEDIA_SECRET },
  });
  [duisburg, dortmund] = stack.tenants as [typeof duisburg, typeof dortmund];
  opDu = await connectOperator(
    stack.gateways[1]!.url,
    await login(stack.gateways[1]!.url, 'duisburg.operator', DEMO_PASSWORD),
  );
  opDo = await connectOperator(
    stack.gateways[1]!.url,
    await login(stack.gateways[1]!.url, 'dortmund.operator', DEMO_PASSWORD),
  );
}, 120_000);

afterAll(async () => {
  opDu?.close();
  opDo?.close();
  await stack?.stop();
});

describe('POST /api/device/v1/status', () => {
  it('[D15][D10] acknowledges each event of a batch only once it is committed, and shows it to its own tenant only', async () => {
    const dev = duisburg.devices[0]!;
    const events = [status(1), status(2, { stage: 'display' }), status(3, { batteryPct: 77 })];
    const { status: code, json } = await postBatch(stack.gateways[0]!.url, basic(dev), { events });
    expect(code).toBe(200);
    expect(json.acks).toEqual([1, 2, 3].map((seq) => ({ ok: true, seq, duplicate: false })));
    // the ack came after the commit: every acknowledged event is in PostgreSQL now
    expect(await count(dev.deviceId)).toBe(3);
    await waitFor(() => opDu.units.get(dev.deviceId)?.seq === 3, 3000, 'unit on the Duisburg dashboard');
    expect(opDu.units.get(dev.deviceId)!.batteryPct).toBe(77);
    // shown, but not online: without a socket the unit cannot be sent dispatch requests (D23)
    expect(opDu.units.get(dev.deviceId)!.online).toBe(false);
    expect(opDo.units.has(dev.deviceId)).toBe(false);
    const changes = opDu.batches.flatMap((b) => b.stageChanges).filter((c) => c.deviceId === dev.deviceId);
    expect(changes.map((c) => [c.from, c.to])).toEqual([
      ['standby', 'display'],
      ['display', 'standby'],
    ]);
  });

  it('[D10][D16] stores a resent event once and answers it as a duplicate, on either gateway and either transport', async () => {
    const dev = duisburg.devices[1]!;
    const e = status(5);
    const first = await postBatch(stack.gateways[0]!.url, basic(dev), { events: [e] });
    expect(first.json.acks).toEqual([{ ok: true, seq: 5, duplicate: false }]);
    const again = await postBatch(stack.gateways[1]!.url, basic(dev), { events: [e, e] });
    expect(again.json.acks).toEqual([
      { ok: true, seq: 5, duplicate: true },
      { ok: true, seq: 5, duplicate: true },
    ]);
    const socket = await connectDevice(stack.gateways[1]!.url, dev);
    expect(await socket.send(e)).toEqual({ ok: true, seq: 5, duplicate: true });
    socket.close();
    expect(await count(dev.deviceId)).toBe(1);
  });

  it('[D11][D16] stores late events but never moves the map back, within a batch and across requests', async () => {
    const dev = duisburg.devices[2]!;
    const base = stack.gateways[0]!.url;
    const r1 = await postBatch(base, basic(dev), {
      events: [status(10, { stage: 'display', batteryPct: 50 })],
    });
    expect(r1.json.acks).toEqual([{ ok: true, seq: 10, duplicate: false }]);
    // buffered, older events arrive later through the other gateway, newest first
    const r2 = await postBatch(stack.gateways[1]!.url, basic(dev), {
      events: [
        status(9, { stage: 'recording', announced: true, batteryPct: 98 }),
        status(8, { batteryPct: 99 }),
      ],
    });
    expect(r2.json.acks).toEqual([
      { ok: true, seq: 9, duplicate: false },
      { ok: true, seq: 8, duplicate: false },
    ]);
    await waitFor(() => opDu.units.get(dev.deviceId)?.seq === 10, 3000, 'seq 10');
    await new Promise((r) => setTimeout(r, 300)); // two more ticks: nothing may regress
    const u = opDu.units.get(dev.deviceId)!;
    expect([u.seq, u.stage, u.batteryPct]).toEqual([10, 'display', 50]);
    const { rows } = await stack.db.pool.query(
      'SELECT seq, late FROM status_events WHERE device_id = $1 ORDER BY seq',
      [dev.deviceId],
    );
    expect(rows.map((r) => [Number(r.seq), r.late])).toEqual([
      [8, true],
      [9, true],
      [10, false],
    ]);
    const changes = await stack.db.pool.query('SELECT seq FROM stage_changes WHERE device_id = $1', [
      dev.deviceId,
    ]);
    expect(changes.rows.map((r) => Number(r.seq))).toEqual([10]);
  });

  it('[D8][D7][D12][D15][D28] answers each bad event with its reason, stores the good ones, and refuses a malformed body with 400', async () => {
    const dev = duisburg.devices[3]!;
    const base = stack.gateways[0]!.url;
    const { status: code, json } = await postBatch(base, basic(dev), {
      events: [
        { ...status(1), position: { lat: 123, lng: 7, accuracyM: 3 } },
        status(2, { stage: 'recording', announced: false }),
        { ...status(3), unannouncedReason: 'x'.repeat(3000) },
        'not an object',
        status(4),
      ],
    });
    expect(code).toBe(200);
    const acks = json.acks!;
    expect(acks[0]).toMatchObject({ ok: false, seq: 1, code: 'bad_request', retry: false });
    expect(acks[0]!.ok === false && acks[0]!.message).toContain('position.lat');
    expect(acks[1]!.ok === false && acks[1]!.message).toContain('unannouncedReason');
    expect(acks[2]).toMatchObject({ ok: false, code: 'too_large', retry: false });
    expect(acks[3]).toMatchObject({ ok: false, seq: null, code: 'bad_request' });
    expect(acks[4]).toEqual({ ok: true, seq: 4, duplicate: false });
    expect(await count(dev.deviceId)).toBe(1);

    for (const body of [{}, { events: [] }, { events: 'x' }, { events: [status(5)], extra: 1 }]) {
      const r = await postBatch(base, basic(dev), body);
      expect(r.status).toBe(400);
      expect(r.json.error?.code).toBe('bad_request');
    }
    const tooMany = await postBatch(base, basic(dev), {
      events: Array.from({ length: 101 }, (_, i) => status(100 + i)),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error?.message).toContain('invalid request body');
    const res = await fetch(`${base}/api/device/v1/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(dev) },
      body: '{"events": [',
    });
    expect(res.status).toBe(400);
    expect(await count(dev.deviceId)).toBe(1);
  });

  it('[D4] takes a device token or the id and secret, and refuses anything else with 401', async () => {
    const dev = duisburg.devices[4]!;
    const base = stack.gateways[0]!.url;
    const tok = await fetch(`${base}/api/device/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: dev.deviceId, secret: dev.secret }),
    });
    expect(tok.status).toBe(200);
    const { token } = (await tok.json()) as { token: string };
    const ok = await postBatch(base, `Bearer ${token}`, { events: [status(1)] });
    expect(ok.json.acks).toEqual([{ ok: true, seq: 1, duplicate: false }]);

    const other = duisburg.devices[5]!;
    for (const auth of [
      null,
      `Bearer ${token.slice(0, -2)}xx`,
      'Bearer nonsense',
      basic({ deviceId: dev.deviceId, secret: other.secret }),
      basic({ deviceId: '00000000-0000-4000-8000-000000000000', secret: dev.secret }),
      'Digest foo',
    ]) {
      const r = await postBatch(base, auth, { events: [status(2)] });
      expect(r.status, String(auth)).toBe(401);
      expect(r.json.error?.code).toBe('unauthenticated');
    }
    expect(await count(dev.deviceId)).toBe(1);
  });

  it('[D1] a device an admin provisions reports with the secret from that one answer; only its SHA-256 is stored', async () => {
    const base = stack.gateways[0]!.url;
    const admin = await login(base, 'duisburg.admin', DEMO_PASSWORD);
    const res = await fetch(`${base}/api/devices`, {
      method: 'POST',
      headers: { cookie: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ label: `HTTP-${Date.now()}` }),
    });
    expect(res.status).toBe(201);
    const { device, secret } = (await res.json()) as { device: { id: string }; secret: string };
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const dev = { deviceId: device.id, secret };
    expect((await postBatch(base, basic(dev), { events: [status(1)] })).json.acks).toEqual([
      { ok: true, seq: 1, duplicate: false },
    ]);
    const socket = await connectDevice(stack.gateways[1]!.url, dev);
    expect(await socket.send(status(2))).toEqual({ ok: true, seq: 2, duplicate: false });
    socket.close();
    const { rows } = await stack.db.pool.query('SELECT secret_hash FROM devices WHERE id = $1', [device.id]);
    expect(rows[0].secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    const list = await (await fetch(`${base}/api/devices`, { headers: { cookie: admin } })).text();
    expect(list).not.toContain(secret);
  });

  it('[D5][D4] refuses a revoked device with 403, also with a token minted before the revocation', async () => {
    const dev = dortmund.devices[0]!;
    const base = stack.gateways[1]!.url;
    const tok = await fetch(`${base}/api/device/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: dev.deviceId, secret: dev.secret }),
    });
    const { token } = (await tok.json()) as { token: string };
    expect((await postBatch(base, basic(dev), { events: [status(1)] })).status).toBe(200);
    const admin = await login(base, 'dortmund.admin', DEMO_PASSWORD);
    const rv = await fetch(`${base}/api/devices/${dev.deviceId}/revoke`, {
      method: 'POST',
      headers: { cookie: admin },
    });
    expect(rv.status).toBe(200);
    for (const auth of [basic(dev), `Bearer ${token}`]) {
      const r = await postBatch(stack.gateways[0]!.url, auth, { events: [status(2)] });
      expect(r.status).toBe(403);
      expect(r.json.error?.code).toBe('forbidden');
    }
    expect(await count(dev.deviceId)).toBe(1);
  });

  it("[D4] keeps tenants apart: a device's credentials never report for another tenant's device", async () => {
    const du = duisburg.devices[6]!;
    const dor = dortmund.devices[1]!;
    // Dortmund's device id with Duisburg's secret
    const r = await postBatch(stack.url, basic({ deviceId: dor.deviceId, secret: du.secret }), {
      events: [status(1)],
    });
    expect(r.status).toBe(401);
    // OsmAnd: Duisburg's credentials naming Dortmund's device
    const o = await traccarClientPost(stack.url, `/api/device/v1/osmand?secret=${du.secret}`, {
      id: dor.deviceId,
      lat: '51.5',
      lon: '7.4',
    });
    expect(o.status).toBe(401);
    const h = await fetch(`${stack.url}/api/device/v1/osmand?id=${dor.deviceId}&lat=51.5&lon=7.4`, {
      method: 'POST',
      headers: { authorization: basic(du) },
    });
    expect(h.status).toBe(403);
    expect(await count(dor.deviceId)).toBe(0);
    expect(opDo.units.has(du.deviceId)).toBe(false);
  });

  it('[D13][D16] shares one rate bucket between HTTP and the socket: a flood over both is refused with retryable acks', async () => {
    const dev = duisburg.devices[7]!;
    const base = stack.gateways[0]!.url;
    const socket = await connectDevice(base, dev);
    // 200 events on each transport: either alone stays under the burst of 300, together they do not
    const t0 = Date.now();
    const [viaSocket, ...viaHttp] = await Promise.all([
      Promise.all(Array.from({ length: 200 }, (_, i) => socket.send(status(i + 1), 15_000))),
      ...[0, 1].map((b) =>
        postBatch(base, basic(dev), {
          events: Array.from({ length: 100 }, (_, i) => status(1000 + b * 100 + i)),
        }),
      ),
    ]);
    const elapsedS = (Date.now() - t0) / 1000;
    socket.close();
    const acks = [...viaSocket, ...viaHttp.flatMap((b) => b.json.acks ?? [])];
    expect(acks).toHaveLength(400);
    const limited = acks.filter((a) => !a.ok && a.code === 'rate_limited');
    expect(limited.every((a) => !a.ok && a.retry)).toBe(true);
    const accepted = acks.filter((a) => a.ok).length;
    // burst 300 plus 50/s refill while the flood lasted: separate buckets would have let all 400 in
    expect(accepted).toBeLessThanOrEqual(300 + Math.ceil(50 * elapsedS) + 1);
    expect(limited.length).toBe(400 - accepted);
    expect(await count(dev.deviceId)).toBe(accepted);
  });
});

describe('last seen', () => {
  const lastSeen = async (deviceId: string): Promise<number | null> => {
    const { rows } = await stack.db.pool.query('SELECT last_seen_at FROM devices WHERE id = $1', [deviceId]);
    return rows[0].last_seen_at ? (rows[0].last_seen_at as Date).getTime() : null;
  };
  /** last_seen_at is written in batches (one UPDATE a second): wait until it has moved past `after` */
  async function seenAfter(deviceId: string, after: number | null, what: string): Promise<number> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const t = await lastSeen(deviceId);
      if (t !== null && (after === null || t > after)) return t;
      if (Date.now() > deadline) throw new Error(`last_seen_at not written after ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('a socket connect, its disconnect and an HTTP status each move devices.last_seen_at forward', async () => {
    const dev = duisburg.devices[12]!;
    expect(await lastSeen(dev.deviceId)).toBeNull();
    const d = await connectDevice(stack.gateways[0]!.url, dev);
    const connected = await seenAfter(dev.deviceId, null, 'the connect');
    await new Promise((r) => setTimeout(r, 20));
    d.close();
    const disconnected = await seenAfter(dev.deviceId, connected, 'the disconnect');
    const { status: code } = await postBatch(stack.gateways[1]!.url, basic(dev), { events: [status(1)] });
    expect(code).toBe(200);
    await seenAfter(dev.deviceId, disconnected, 'the HTTP status');
  });
});

describe('OsmAnd (Traccar Client)', () => {
  it('[D17][D18][D20] takes a position exactly as Traccar Client for Android posts it, in the units OsmAnd uses', async () => {
    const dev = duisburg.devices[8]!;
    const ts = Math.floor(Date.now() / 1000);
    const params = {
      id: dev.deviceId,
      timestamp: String(ts),
      lat: '51.4344',
      lon: '6.7623',
      speed: '10.0', // knots
      bearing: '182.5',
      altitude: '35.0',
      accuracy: '12.0',
      batt: '64.0',
    };
    const r = await traccarClientPost(
      stack.gateways[0]!.url,
      `/api/device/v1/osmand?secret=${dev.secret}`,
      params,
    );
    expect(r.status).toBe(200);
    const { rows } = await stack.db.pool.query('SELECT * FROM status_events WHERE device_id = $1', [
      dev.deviceId,
    ]);
    expect(rows).toHaveLength(1);
    const e = rows[0];
    expect(Number(e.seq)).toBe(ts * 1000);
    expect(e.device_time.getTime()).toBe(ts * 1000);
    expect([e.lat, e.lng, e.accuracy_m, e.heading_deg, e.battery_pct]).toEqual([
      51.4344, 6.7623, 12, 182.5, 64,
    ]);
    expect(e.speed_mps).toBeCloseTo(5.144, 2); // 10 kn
    expect([e.stage, e.emergency, e.late]).toEqual(['standby', false, false]);
    await waitFor(() => opDu.units.get(dev.deviceId)?.seq === ts * 1000, 3000, 'OsmAnd unit on the map');
    expect(opDu.units.get(dev.deviceId)!.position).toMatchObject({ lat: 51.4344, lng: 6.7623 });

    // Traccar Client resends a position whose answer it did not get: the same timestamp is a duplicate
    const again = await traccarClientPost(
      stack.gateways[1]!.url,
      `/api/device/v1/osmand?secret=${dev.secret}`,
      params,
    );
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toEqual({ acks: [{ ok: true, seq: ts * 1000, duplicate: true }] });
    expect(await count(dev.deviceId)).toBe(1);
  });

  it('[D18][D19] never moves the map back with a buffered older position and keeps the stage it does not carry', async () => {
    const dev = duisburg.devices[9]!;
    const base = stack.gateways[0]!.url;
    const now = Date.now();
    // the camera's own protocol put it into display; positions come from a tracker app
    const first = await postBatch(base, basic(dev), {
      events: [
        status(now - 60_000, {
          at: now - 60_000,
          stage: 'display',
          position: { lat: 51.44, lng: 6.76, accuracyM: 5 },
        }),
      ],
    });
    expect(first.json.acks).toEqual([{ ok: true, seq: now - 60_000, duplicate: false }]);
    const send = (tsMs: number, extra: Record<string, string> = {}) =>
      traccarClientPost(base, `/api/device/v1/osmand?secret=${dev.secret}`, {
        id: dev.deviceId,
        timestamp: String(Math.floor(tsMs / 1000)),
        lat: '51.44',
        lon: String(6.76 + (tsMs % 100_000) / 1e7),
        accuracy: '5',
        batt: '50',
        ...extra,
      });
    expect((await send(now)).status).toBe(200);
    expect((await send(now - 30_000)).status).toBe(200); // buffered while offline, sent late
    await waitFor(() => opDu.units.get(dev.deviceId)?.seq === Math.floor(now / 1000) * 1000, 3000, 'newest');
    await new Promise((r) => setTimeout(r, 300));
    const u = opDu.units.get(dev.deviceId)!;
    expect(u.seq).toBe(Math.floor(now / 1000) * 1000);
    expect(u.stage).toBe('display');
    expect(await count(dev.deviceId, 'late')).toBe(1);
    // Traccar Client's SOS button
    expect((await send(now + 2000, { alarm: 'sos' })).status).toBe(200);
    await waitFor(() => opDu.units.get(dev.deviceId)?.emergency === true, 3000, 'emergency');
    const changes = await stack.db.pool.query(
      'SELECT from_stage, to_stage, emergency FROM stage_changes WHERE device_id = $1 ORDER BY seq',
      [dev.deviceId],
    );
    expect(changes.rows).toEqual([
      { from_stage: null, to_stage: 'display', emergency: false },
      { from_stage: 'display', to_stage: 'display', emergency: true },
    ]);
  });

  it("[D17][D18] takes Traccar Client 9's JSON body (one position or a batch), the secret in the server URL", async () => {
    const dev = duisburg.devices[11]!;
    const base = stack.gateways[0]!.url;
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    // flutter_background_geolocation's body with Traccar Client's location template and params
    const location = (tMs: number, over: Record<string, unknown> = {}) => ({
      timestamp: new Date(tMs).toISOString(),
      coords: { latitude: 51.4351, longitude: 6.7611, accuracy: 9.5, speed: 2.5, heading: 270, altitude: 31 },
      is_moving: true,
      odometer: 1234.5,
      event: '',
      battery: { level: 0.42, is_charging: false },
      activity: { type: 'on_foot' },
      extras: {},
      _: `&id=${dev.deviceId}&lat=51.4351&lon=6.7611&timestamp=${new Date(tMs).toISOString()}&`,
      ...over,
    });
    const post = (body: unknown) =>
      fetch(`${base}/api/device/v1/osmand?secret=${dev.secret}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'TraccarClient/9.5 (Android)' },
        body: JSON.stringify(body),
      });
    const one = await post({ location: location(t0), device_id: dev.deviceId });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({ acks: [{ ok: true, seq: t0, duplicate: false }] });
    const { rows } = await stack.db.pool.query('SELECT * FROM status_events WHERE device_id = $1', [
      dev.deviceId,
    ]);
    expect([rows[0].lat, rows[0].lng, rows[0].accuracy_m, rows[0].heading_deg, rows[0].battery_pct]).toEqual([
      51.4351, 6.7611, 9.5, 270, 42,
    ]);
    expect(rows[0].speed_mps).toBeCloseTo(2.5, 2); // m/s in, m/s stored
    // its batch sync: the same position again (a duplicate) and a newer one with the SOS alarm
    const batch = await post({
      location: [location(t0), location(t0 + 5000, { extras: { alarm: 'sos' } })],
      device_id: dev.deviceId,
    });
    expect(batch.status).toBe(200);
    expect(((await batch.json()) as { acks: StatusAck[] }).acks).toEqual([
      { ok: true, seq: t0, duplicate: true },
      { ok: true, seq: t0 + 5000, duplicate: false },
    ]);
    await waitFor(() => opDu.units.get(dev.deviceId)?.emergency === true, 3000, 'SOS from the JSON body');
    const bad = await post({ location: { timestamp: 'x', coords: { latitude: 95, longitude: 7 } } });
    expect(bad.status).toBe(400);
    expect(await count(dev.deviceId)).toBe(2);
  });

  it('[D17][D20] reads a form body and GET parameters too, and answers bad input and bad credentials with 4xx', async () => {
    const dev = duisburg.devices[10]!;
    const base = stack.gateways[1]!.url;
    const ts = Math.floor(Date.now() / 1000);
    const form = await fetch(`${base}/api/device/v1/osmand`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        id: dev.deviceId,
        secret: dev.secret,
        timestamp: String(ts),
        lat: '51.43',
        lon: '6.76',
      }).toString(),
    });
    expect(form.status).toBe(200);
    const get = await fetch(
      `${base}/api/device/v1/osmand?id=${dev.deviceId}&secret=${dev.secret}&timestamp=${ts + 1}&location=51.431,6.761`,
    );
    expect(get.status).toBe(200);
    expect(await count(dev.deviceId)).toBe(2);

    const bad = await fetch(
      `${base}/api/device/v1/osmand?id=${dev.deviceId}&secret=${dev.secret}&lat=91&lon=7`,
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: string[] } }).error.issues.join()).toContain('lat');
    const badTime = await fetch(
      `${base}/api/device/v1/osmand?id=${dev.deviceId}&secret=${dev.secret}&timestamp=yesterday&lat=51&lon=7`,
    );
    expect(badTime.status).toBe(400);
    const noId = await fetch(`${base}/api/device/v1/osmand?lat=51&lon=7`, {
      headers: { authorization: basic(dev) },
    });
    expect(noId.status).toBe(400);
    const noSecret = await fetch(`${base}/api/device/v1/osmand?id=${dev.deviceId}&lat=51&lon=7`);
    expect(noSecret.status).toBe(401);
    const wrong = await fetch(
      `${base}/api/device/v1/osmand?id=${dev.deviceId}&secret=${'w'.repeat(43)}&lat=51&lon=7`,
    );
    expect(wrong.status).toBe(401);
    expect(await count(dev.deviceId)).toBe(2);
    // form bodies stay refused everywhere else
    const elsewhere = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=a&password=b',
    });
    expect(elsewhere.status).toBe(415);
  });
});

describe('PostgreSQL unreachable', () => {
  it('[D10][D12][D20] never acknowledges what it could not store: 503, retry; the resend after recovery is stored once', async () => {
    const dev = dortmund.devices[2]!;
    const base = stack.gateways[0]!.url;
    const e = status(1);
    const outage = stack.pg.restart(2500);
    await new Promise((r) => setTimeout(r, 500)); // PostgreSQL is down now
    const during = await postBatch(base, basic(dev), { events: [e] });
    expect(during.status).toBe(503);
    expect(during.json.error?.code).toBe('unavailable');
    const osm = await traccarClientPost(base, `/api/device/v1/osmand?secret=${dev.secret}`, {
      id: dev.deviceId,
      lat: '51.5',
      lon: '7.46',
    });
    expect(osm.status).toBe(503);
    await outage;
    // the device kept the event (no ok ack) and sends it again
    let after = await postBatch(base, basic(dev), { events: [e] });
    for (let i = 0; i < 50 && after.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await postBatch(base, basic(dev), { events: [e] });
    }
    expect(after.json.acks).toEqual([{ ok: true, seq: 1, duplicate: false }]);
    expect(await count(dev.deviceId)).toBe(1);
  }, 30_000);
});
