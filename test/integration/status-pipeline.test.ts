/**
 * The live status pipeline across two gateway processes with real PostgreSQL and Redis:
 * device on one gateway, dashboards on the other, tenant isolation, persistence, dedup, ordering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, connectOperator, login, type Operator, status, waitFor } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
let duisburg: Stack['tenants'][number];
let dortmund: Stack['tenants'][number];
let opDu: Operator;
let opDo: Operator;

beforeAll(async () => {
  stack = await startStack({ gateways: 2, devicesPerTenant: 5 });
  [duisburg, dortmund] = stack.tenants as [typeof duisburg, typeof dortmund];
  const [gwA, gwB] = stack.gateways;
  opDu = await connectOperator(gwB!.url, await login(gwB!.url, 'duisburg.operator', DEMO_PASSWORD));
  opDo = await connectOperator(gwA!.url, await login(gwA!.url, 'dortmund.operator', DEMO_PASSWORD));
});

afterAll(async () => {
  opDu?.close();
  opDo?.close();
  await stack?.stop();
});

describe('status from a device on gateway A reaches dashboards on gateway B', () => {
  it('[ACK1][ACK6] shows the unit to its own tenant and to nobody else', async () => {
    const dev = duisburg.devices[0]!;
    const device = await connectDevice(stack.gateways[0]!.url, dev);
    const ack = await device.send(status(1));
    expect(ack).toEqual({ ok: true, seq: 1, duplicate: false });
    await waitFor(() => opDu.units.get(dev.deviceId)?.seq === 1, 3000, 'unit on the Duisburg dashboard');
    const u = opDu.units.get(dev.deviceId)!;
    expect(u.callsign).toMatch(/^KOD /);
    expect(u.online).toBe(true);
    expect(opDo.units.has(dev.deviceId)).toBe(false);
    device.close();
  });

  it('[ACK5][D21] delivers every stage change in order, even within one batch', async () => {
    const dev = duisburg.devices[1]!;
    const device = await connectDevice(stack.gateways[0]!.url, dev);
    await device.send(status(1));
    // three transitions sent back to back land in the same 100 ms tick
    await Promise.all([
      device.send(status(2, { stage: 'display' })),
      device.send(status(3, { stage: 'recording', announced: true })),
      device.send(status(4, { stage: 'display' })),
    ]);
    await waitFor(() => opDu.units.get(dev.deviceId)?.seq === 4, 3000, 'seq 4');
    const changes = opDu.batches.flatMap((b) => b.stageChanges).filter((c) => c.deviceId === dev.deviceId);
    expect(changes.map((c) => [c.from, c.to])).toEqual([
      ['standby', 'display'],
      ['display', 'recording'],
      ['recording', 'display'],
    ]);
    expect(opDu.units.get(dev.deviceId)!.stage).toBe('display');
    const rows = await stack.db.pool.query(
      'SELECT seq, from_stage, to_stage, announced FROM stage_changes WHERE device_id = $1 ORDER BY seq',
      [dev.deviceId],
    );
    expect(rows.rows.map((r) => [Number(r.seq), r.from_stage, r.to_stage])).toEqual([
      [2, 'standby', 'display'],
      [3, 'display', 'recording'],
      [4, 'recording', 'display'],
    ]);
    expect(rows.rows[1].announced).toBe(true);
    device.close();
  });
});

describe('connection-state recovery (Redis streams adapter)', () => {
  it('[ACK11] recovers a dropped dashboard connection with the batches it missed', async () => {
    const cookie = await login(stack.gateways[1]!.url, 'duisburg.operator', DEMO_PASSWORD);
    const op = await connectOperator(stack.gateways[1]!.url, cookie);
    const dev = duisburg.devices[0]!;
    const device = await connectDevice(stack.gateways[0]!.url, dev);
    await device.send(status(100));
    await waitFor(() => op.units.get(dev.deviceId)?.seq === 100, 3000, 'seq 100');
    const snapshots: unknown[] = [];
    op.socket.on('snapshot', (s) => snapshots.push(s));
    op.socket.io.engine.close(); // the network drops; the client reconnects by itself
    await device.send(status(101, { stage: 'display' }));
    await waitFor(
      () => op.socket.connected && op.units.get(dev.deviceId)?.seq === 101,
      10_000,
      'recovered seq 101',
    );
    expect(op.socket.recovered).toBe(true);
    expect(snapshots).toHaveLength(0); // replayed from the stream, no fresh snapshot needed
    op.close();
    device.close();
  });

  it('[ACK11] runs authentication again on recovery: a logged-out session is not recovered', async () => {
    const cookie = await login(stack.url, 'duisburg.admin', DEMO_PASSWORD);
    const op = await connectOperator(stack.url, cookie);
    const errors: Array<{ data?: { code?: string } }> = [];
    op.socket.on('connect_error', (e) => errors.push(e as never));
    // the session ends behind the gateway's back (expiry, an admin disabling the user)
    await stack.db.prisma.session.deleteMany({ where: { user: { username: 'duisburg.admin' } } });
    op.socket.io.engine.close();
    await waitFor(() => errors.length > 0, 10_000, 'connect_error after recovery attempt');
    expect(errors[0]!.data?.code).toBe('unauthenticated');
    op.close();
  });
});

describe('persistence', () => {
  it('[ACK1][D6] stores what was sent, field by field, before acknowledging', async () => {
    const dev = duisburg.devices[2]!;
    const device = await connectDevice(stack.gateways[1]!.url, dev);
    const sent = status(7, {
      batteryPct: 42,
      signalBars: 1,
      network: '5g',
      headingDeg: 271.5,
      emergency: true,
    });
    await device.send(sent);
    const { rows } = await stack.db.pool.query('SELECT * FROM status_events WHERE device_id = $1', [
      dev.deviceId,
    ]);
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect(Number(r.seq)).toBe(7);
    expect(r.device_time.getTime()).toBe(sent.at);
    expect([r.lat, r.lng, r.accuracy_m]).toEqual([sent.position!.lat, sent.position!.lng, 5]);
    expect([r.battery_pct, r.signal_bars, r.network, r.heading_deg, r.emergency]).toEqual([
      42,
      1,
      '5g',
      271.5,
      true,
    ]);
    expect(r.tenant_id).toBe(duisburg.id);
    device.close();
  });

  it('[ACK3][D9][D10] ignores a duplicate seq and acknowledges it as duplicate', async () => {
    const dev = duisburg.devices[3]!;
    const device = await connectDevice(stack.gateways[0]!.url, dev);
    const s = status(1);
    expect(await device.send(s)).toMatchObject({ ok: true, duplicate: false });
    expect(await device.send(s)).toMatchObject({ ok: true, duplicate: true });
    const { rows } = await stack.db.pool.query(
      'SELECT count(*)::int AS n FROM status_events WHERE device_id = $1',
      [dev.deviceId],
    );
    expect(rows[0].n).toBe(1);
    device.close();
  });

  it('[ACK4] stores late events but never moves the live state backwards', async () => {
    const dev = duisburg.devices[4]!;
    const device = await connectDevice(stack.gateways[0]!.url, dev);
    await device.send(status(10, { stage: 'display', batteryPct: 50 }));
    await device.send(status(5, { stage: 'recording', announced: true, batteryPct: 99 }));
    await waitFor(() => opDu.units.get(dev.deviceId)?.seq === 10, 3000, 'seq 10');
    await new Promise((r) => setTimeout(r, 300)); // two more ticks: nothing may regress
    const u = opDu.units.get(dev.deviceId)!;
    expect([u.seq, u.stage, u.batteryPct]).toEqual([10, 'display', 50]);
    const { rows } = await stack.db.pool.query(
      'SELECT seq, late FROM status_events WHERE device_id = $1 ORDER BY seq',
      [dev.deviceId],
    );
    expect(rows.map((r) => [Number(r.seq), r.late])).toEqual([
      [5, true],
      [10, false],
    ]);
    const changes = await stack.db.pool.query('SELECT seq FROM stage_changes WHERE device_id = $1', [
      dev.deviceId,
    ]);
    expect(changes.rows.map((r) => Number(r.seq))).toEqual([10]);
    device.close();
  });
});

describe('bad input', () => {
  it('[ACK7] answers a malformed event with a reason and keeps the connection', async () => {
    const dev = dortmund.devices[0]!;
    const device = await connectDevice(stack.gateways[0]!.url, dev);
    const ack = await device.sendRaw({ ...status(1), position: { lat: 123, lng: 7, accuracyM: 3 } });
    expect(ack).toMatchObject({ ok: false, code: 'bad_request', seq: 1, retry: false });
    expect(ack.ok === false && ack.message).toContain('position.lat');
    expect(await device.sendRaw('not an object')).toMatchObject({
      ok: false,
      code: 'bad_request',
      seq: null,
    });
    const unannounced = await device.sendRaw(status(2, { stage: 'recording', announced: false }));
    expect(unannounced.ok === false && unannounced.message).toContain('unannouncedReason');
    expect(await device.send(status(3))).toMatchObject({ ok: true });
    device.close();
  });

  it('[ACK7] refuses an oversized event with too_large', async () => {
    const dev = dortmund.devices[1]!;
    const device = await connectDevice(stack.gateways[0]!.url, dev);
    const ack = await device.sendRaw({ ...status(1), unannouncedReason: 'x'.repeat(5000) });
    expect(ack).toMatchObject({ ok: false, code: 'too_large' });
    device.close();
  });

  it('[ACK8] rate-limits a flooding device with a retryable error', async () => {
    const dev = dortmund.devices[2]!;
    const device = await connectDevice(stack.gateways[1]!.url, dev);
    const acks = await Promise.all(Array.from({ length: 400 }, (_, i) => device.send(status(i + 1), 15_000)));
    const limited = acks.filter((a) => !a.ok && a.code === 'rate_limited');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((a) => !a.ok && a.retry)).toBe(true);
    device.close();
  });

  it('[ACK10][D2] refuses a wrong secret and an unknown device', async () => {
    const dev = dortmund.devices[3]!;
    await expect(
      connectDevice(stack.url, { deviceId: dev.deviceId, secret: 'x'.repeat(43) }),
    ).rejects.toMatchObject({
      data: { code: 'unauthenticated' },
    });
    await expect(
      connectDevice(stack.url, { deviceId: '00000000-0000-4000-8000-000000000000', secret: dev.secret }),
    ).rejects.toMatchObject({ data: { code: 'unauthenticated' } });
    await expect(connectDevice(stack.url, { deviceId: 'nope', secret: 'short' })).rejects.toMatchObject({
      data: { code: 'bad_request' },
    });
  });
});

describe('administration and access control', () => {
  it('[ACK10][D5] disconnects a revoked device at once, on whichever gateway it is', async () => {
    const dev = dortmund.devices[4]!;
    const device = await connectDevice(stack.gateways[1]!.url, dev);
    const bye = new Promise((resolve) => device.socket.once('bye', resolve));
    const gone = new Promise((resolve) => device.socket.once('disconnect', resolve));
    const admin = await login(stack.gateways[0]!.url, 'dortmund.admin', DEMO_PASSWORD);
    const res = await fetch(`${stack.gateways[0]!.url}/api/devices/${dev.deviceId}/revoke`, {
      method: 'POST',
      headers: { cookie: admin },
    });
    expect(res.status).toBe(200);
    expect(await bye).toMatchObject({ code: 'forbidden' });
    await gone;
    await expect(connectDevice(stack.url, dev)).rejects.toMatchObject({ data: { code: 'forbidden' } });
  });

  it('answers a cross-tenant id and an unknown id alike: 404 (issue 11)', async () => {
    const cookie = opDu.cookie;
    const units = await (await fetch(`${stack.url}/api/units`, { headers: { cookie: opDo.cookie } })).json();
    const dortmundUnit = units.units[0].id;
    const r1 = await fetch(`${stack.url}/api/units/${dortmundUnit}`, { headers: { cookie } });
    expect(r1.status).toBe(404);
    expect((await r1.json()).error.code).toBe('not_found');
    const r2 = await fetch(`${stack.url}/api/units/00000000-0000-4000-8000-000000000000`, {
      headers: { cookie },
    });
    expect(r2.status).toBe(404);
    const du = await (await fetch(`${stack.url}/api/units`, { headers: { cookie } })).json();
    expect(
      du.units.every((u: { deviceId: string }) => duisburg.devices.some((d) => d.deviceId === u.deviceId)),
    ).toBe(true);
  });

  it('keeps evaluators away from live data', async () => {
    const cookie = await login(stack.url, 'duisburg.evaluator', DEMO_PASSWORD);
    expect((await fetch(`${stack.url}/api/units`, { headers: { cookie } })).status).toBe(403);
    await expect(connectOperator(stack.url, cookie)).rejects.toMatchObject({ data: { code: 'forbidden' } });
  });

  it('refuses the live feed without a session and after logout', async () => {
    await expect(connectOperator(stack.url, 'lb_session=forged')).rejects.toMatchObject({
      data: { code: 'unauthenticated' },
    });
    const cookie = await login(stack.url, 'duisburg.supervisor', DEMO_PASSWORD);
    const op = await connectOperator(stack.url, cookie);
    const bye = new Promise((resolve) => op.socket.once('bye', resolve));
    const out = await fetch(`${stack.url}/api/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(204);
    await bye;
    op.close();
    expect((await fetch(`${stack.url}/api/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('sets an HttpOnly SameSite=Strict session cookie and rejects wrong passwords', async () => {
    const res = await fetch(`${stack.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'duisburg.admin', password: DEMO_PASSWORD }),
    });
    const c = res.headers.get('set-cookie')!;
    expect(c).toMatch(/HttpOnly/i);
    expect(c).toMatch(/SameSite=Strict/i);
    const bad = await fetch(`${stack.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'duisburg.admin', password: 'wrong' }),
    });
    expect(bad.status).toBe(401);
    const big = await fetch(`${stack.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'a', password: 'x'.repeat(20_000) }),
    });
    expect(big.status).toBe(413);
  });
});
